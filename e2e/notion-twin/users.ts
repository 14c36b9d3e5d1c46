/** User objects as Notion returns them. */
import type { PartialUserObjectResponse, UserObjectResponse } from '@notionhq/client';
import type { UserSpec, Workspace } from './workspace';

/** A person, in full (people property values, `users.list`, full user mentions). */
export function fullUser(u: UserSpec): UserObjectResponse {
  return { object: 'user', id: u.id, name: u.name, avatar_url: u.avatarUrl, type: 'person', person: u.email === null ? {} : { email: u.email } };
}

/** `{object: "user", id}` for the user with 1-based index `index` (0 = the integration's bot). */
export function userRef(ws: Workspace, index: number): PartialUserObjectResponse {
  return { object: 'user', id: ws.userId(index) };
}
