import { useI18n } from '../i18n';

/** Display names for codes; unknown codes fall back to the raw code (never blank). */
export function useLabels() {
  const { tx } = useI18n();
  return {
    post: (code: string) => tx(`post.${code}`, code),
    kind: (code: string) => tx(`kind.${code}`, code),
    scope: (code: string) => tx(`scope.${code}`, code),
    role: (code: string) => tx(`role.${code}`, code),
    dayKind: (code: string) => tx(`cal.kind.${code}`, code),
  };
}

export const POST_CODES = [
  'main_leader',
  'party_secretary',
  'director',
  'leader_in_charge',
  'section_head',
  'staff',
  'window_staff',
  'station_head',
  'station_clerk',
  'grid_worker',
  'discipline',
  'police_liaison',
  'system_admin',
  'security_admin',
  'audit_admin',
  'finance_office',
  'collective_decision',
  'presiding_leader',
  'bureau_leader',
] as const;

export const DATA_SCOPES = ['all', 'unit_and_below', 'unit', 'self', 'custom'] as const;

export const ORG_KINDS = ['street', 'community', 'grid', 'police_area', 'collection_point', 'department', 'service_hall'] as const;
