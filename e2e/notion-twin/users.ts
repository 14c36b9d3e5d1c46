/** User objects as Notion returns them. */
import type { PartialUserObjectResponse, UserObjectResponse } from '@notionhq/client';
import type { Reply } from './replies';
import type { UserSpec, Workspace } from './workspace';

/** A person, in full (people property values, `users.list`, full user mentions). */
export function fullUser(u: UserSpec): UserObjectResponse {
  return { object: 'user', id: u.id, name: u.name, avatar_url: u.avatarUrl, type: 'person', person: u.email === null ? {} : { email: u.email } };
}

/** `{object: "user", id}` for the user with 1-based index `index` (0 = the integration's bot). */
export function userRef(ws: Workspace, index: number): PartialUserObjectResponse {
  return { object: 'user', id: ws.userId(index) };
}

/**
 * An answer as an integration without the "read user information" capability gets it: every user
 * object is only `{ object: 'user', id }` (no name, avatar or email), as in Notion.
 */
export function withoutUserInformation(reply: Reply): Reply {
  if (reply.type !== 'json' || reply.status !== 200) return reply;
  const strip = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(strip);
    if (typeof value !== 'object' || value === null) return value;
    const record = value as Record<string, unknown>;
    if (record.object === 'user' && typeof record.id === 'string') return { object: 'user', id: record.id };
    return Object.fromEntries(Object.entries(record).map(([key, inner]) => [key, strip(inner)]));
  };
  return { ...reply, body: strip(reply.body) as object };
}
