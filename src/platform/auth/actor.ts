import type { DataScope } from '../org/scope.js';

/** The session cookie (HttpOnly, SameSite=Lax; API.md "Auth"). */
export const SESSION_COOKIE = 'jiedao_sid';

/** The authenticated person behind a request, resolved once per request. */
export interface ActorPost {
  id: string;
  orgUnitId: string;
  orgUnitName: string;
  orgUnitKind: string;
  post: string;
  primary: boolean;
  validFrom: string;
  validTo: string | null;
}
export interface ActorGrant { id: string; role: string; dataScope: string; customUnitIds: string[] }

export interface Actor {
  userId: string;
  username: string;
  name: string;
  mustChangePassword: boolean;
  roles: string[];
  permissions: ReadonlySet<string>;
  posts: ActorPost[];
  grants: ActorGrant[];
  /**
   * The data scope this request acts in. On a route that names its permission (config.permission),
   * the scope of the grants giving that permission (plugins/auth.ts); elsewhere every grant's.
   */
  scope: DataScope;
  /** Each permission's own scope (org/profile.ts). */
  scopeByPermission: ReadonlyMap<string, DataScope>;
  session: { id: string; kind: 'cookie' | 'bearer'; csrfToken: string };
}

