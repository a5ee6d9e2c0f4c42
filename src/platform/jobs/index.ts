export {
  registerJobKind, enqueueJob, runOneJob, runPendingJobs, startJobRunner, JobError, JobLostError,
  type JobContext, type JobHandler, type JobProgress, type JobCounts, type JobRow, type JobStatus, type RunnerOptions,
} from './service.js';
export { jobRoutes, JOB_READ_ALL } from './routes.js';
export { registerSchedule, runDueSchedules, startScheduler, latestSlot, scheduleRuns, type Schedule, type ScheduleSpec, type ScheduleContext } from './scheduler.js';
