import { parseArgs } from 'node:util';
import { type AuditEntry, audited } from '@/server/audit/audit-log';
import { DomainError } from '@/server/errors';
import { isRole, ROLES } from './roles';
import { createUser, findUserByEmail, listUsers, removeUser, setUserRole, type UserAdminDeps } from './user-admin';

/** The CLI's changes in the audit log: the actor is `cli` (whoever can run it can read the database), no address. */
const CLI_ACTOR = { email: 'cli' } as const;

export const USERS_USAGE = `users add <email> --role ${ROLES.join('|')} --password-stdin [--name <name>]
users list
users set-role <email> <role>
users remove <email>`;

const usage = (problem: string) => new DomainError('BAD_INPUT', `${problem}\n\nUsage:\n${USERS_USAGE}`);

/**
 * `notion-sync users …`: people, for scripts and for an admin who is locked out. Works on the
 * database directly (no session is needed: whoever runs it can read the database anyway). The
 * password is read from stdin, never from the command line. Every change is recorded in the audit
 * log as the actor `cli`. Returns what to print on stdout; refusals are DomainErrors (the CLI
 * prints them and exits 1).
 */
export async function usersCommand(ctx: UserAdminDeps, args: string[], stdin: AsyncIterable<string | Buffer>): Promise<string> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: { role: { type: 'string' }, name: { type: 'string' }, 'password-stdin': { type: 'boolean' } },
  });
  const [verb, email, role] = positionals;
  const audit = <T>(entry: Omit<AuditEntry, 'outcome' | 'actor'>, change: () => Promise<T>, completed?: (result: T) => Pick<AuditEntry, 'target'>) =>
    audited(ctx.database.db, { ...entry, actor: CLI_ACTOR }, change, completed);
  if (verb === 'list') {
    const users = await listUsers(ctx);
    return users.map((u) => `${u.email}\t${u.role ?? '(no role)'}\t${u.name}${u.disabled ? '\tdisabled' : ''}\n`).join('') || 'No users.\n';
  }
  if (!email) throw usage(verb ? `users ${verb} needs an email` : 'users needs a command');
  if (verb === 'add') {
    if (!isRole(values.role)) throw usage(`--role must be one of ${ROLES.join(', ')}`);
    if (!values['password-stdin']) throw usage('--password-stdin is required: the password is read from stdin, never from the command line');
    const password = (await readAll(stdin)).replace(/\r?\n$/, '');
    const role = values.role;
    const user = await audit(
      { action: 'user.created', detail: { email: email.trim().toLowerCase(), role } },
      () => createUser(ctx, { email, role, password, name: values.name }),
      (u) => ({ target: { type: 'user', id: u.id } }),
    );
    return `Added ${user.email} (${user.role}).\n`;
  }
  const user = await findUserByEmail(ctx, email);
  if (verb === 'set-role' || verb === 'remove') {
    if (!user) throw new DomainError('NOT_FOUND', `There is no user with the email ${email}`);
    const target = { type: 'user', id: user.id } as const;
    if (verb === 'remove') {
      await audit({ action: 'user.removed', target, detail: { email: user.email, role: user.role } }, () => removeUser(ctx, user.id));
      return `Removed ${user.email}.\n`;
    }
    if (!isRole(role)) throw usage(`The role must be one of ${ROLES.join(', ')}`);
    await audit({ action: 'user.role-changed', target, detail: { email: user.email, from: user.role, to: role } }, () => setUserRole(ctx, user.id, role));
    return `${user.email} is now ${role}.\n`;
  }
  throw usage(`Unknown users command "${verb}"`);
}

async function readAll(stream: AsyncIterable<string | Buffer>): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
  return text;
}
