import { approvalsZhCN } from './approvals/i18n.zh-CN';
import { approvalsEn } from './approvals/i18n.en';
import { leaveZhCN } from './leave/i18n.zh-CN';
import { leaveEn } from './leave/i18n.en';
import { populationZhCN } from './population/i18n.zh-CN';
import { populationEn } from './population/i18n.en';

/** Every business module's messages (spread into app/i18n; keys are typed from the zh-CN side). */
export const moduleMessagesZhCN = { ...approvalsZhCN, ...leaveZhCN, ...populationZhCN } as const;
export const moduleMessagesEn: Record<keyof typeof moduleMessagesZhCN, string> = { ...approvalsEn, ...leaveEn, ...populationEn };
