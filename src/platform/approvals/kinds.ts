import type { Tx } from '../db/index.js';
import type { PolicyPack } from '../policy/schema.js';
import type { Chain } from './chain.js';

export type ApprovalOutcome = 'approved' | 'rejected' | 'withdrawn';

/** What the engine passes a consumer when one of its approvals ends. */
export interface FinishedApproval {
  id: string; kind: string; subjectId: string; applicantId: string; outcome: ApprovalOutcome;
  form: Record<string, unknown>; actorId: string | null;
}

/**
 * A consumer's registration: leave, expenses, vehicles … each declare a kind. The engine never
 * imports a module; it calls back through this.
 */
export interface ApprovalKind {
  kind: string;
  /** zh-CN name shown in inboxes (请假, 报销 …). */
  name: string;
  /** Case-number prefix: `QJ` gives `QJ-2026-000123`. */
  caseNoPrefix: string;
  /** Form fields a chain condition may read (`form.days` …). */
  formFields: readonly string[];
  /** The kind's chain in a pack (its policy path). */
  chainOf: (pack: PolicyPack) => Chain;
  /** Runs in the deciding transaction when the approval ends. */
  onFinished?: (tx: Tx, approval: FinishedApproval) => Promise<void>;
  /** The web page of the subject (`/leave/requests/…`), for notifications. */
  linkOf?: (subjectId: string) => string;
}

const kinds = new Map<string, ApprovalKind>();

export function registerApprovalKind(k: ApprovalKind): void {
  const existing = kinds.get(k.kind);
  if (existing && existing !== k) throw new Error(`approval kind ${k.kind} already registered`);
  kinds.set(k.kind, k);
}
export function approvalKind(kind: string): ApprovalKind {
  const k = kinds.get(kind);
  if (!k) throw new Error(`unknown approval kind ${kind}`);
  return k;
}
export const approvalKinds = (): ApprovalKind[] => [...kinds.values()];
