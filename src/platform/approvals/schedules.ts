import { registerSchedule } from '../jobs/scheduler.js';
import { runStepTimeouts } from './engine.js';

/** Overdue approval steps are checked every hour; each reminds once a day, escalates or passes once. */
export const STEP_TIMEOUTS_SCHEDULE = 'approvals.step-timeouts';
registerSchedule({ name: STEP_TIMEOUTS_SCHEDULE, spec: { everyMinutes: 60 }, run: async ({ db, now }) => { await runStepTimeouts(db, now); } });
