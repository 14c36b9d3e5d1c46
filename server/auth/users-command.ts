import { parseArgs } from 'node:util';
import { DomainError } from '@/server/errors';
import { isRole, ROLES } from './roles';
import { createUser, findUserByEmail, listUsers, removeUser, setUserRole, type UserAdminDeps } from './user-admin';

export const USERS_USAGE = `users add <email> --role ${ROLES.join('|')} --password-stdin [--name <name>]
users list
users set-role <email> <role>
users remove <email>`;

const usage = (problem: string) => new DomainError('BAD_INPUT', `${problem}\n\nUsage:\n${USERS_USAGE}`);

/**
 * `notion-sync users …`: people, for scripts and for an admin who is locked out. Works on the
 * database directly (no session is needed: whoever runs it can read the database anyway). The
 * password is read from stdin, never from the command line. Returns what to print on stdout;
 * refusals are DomainErrors (the CLI prints them and exits 1).
 */
export async function usersCommand(ctx: UserAdminDeps, args: string[], stdin: AsyncIterable<string | Buffer>): Promise<string> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: { role: { type: 'string' }, name: { type: 'string' }, 'password-stdin': { type: 'boolean' } },
  });
  const [verb, email, role] = positionals;
  if (verb === 'list') {
    const users = await listUsers(ctx);
    return users.map((u) => `${u.email}\t${u.role ?? '(no role)'}\t${u.name}\n`).join('') || 'No users.\n';
  }
  if (!email) throw usage(verb ? `users ${verb} needs an email` : 'users needs a command');
  if (verb === 'add') {
    if (!isRole(values.role)) throw usage(`--role must be one of ${ROLES.join(', ')}`);
    if (!values['password-stdin']) throw usage('--password-stdin is required: the password is read from stdin, never from the command line');
    const password = (await readAll(stdin)).replace(/\r?\n$/, '');
    const user = await createUser(ctx, { email, role: values.role, password, name: values.name });
    return `Added ${user.email} (${user.role}).\n`;
  }
  const user = await findUserByEmail(ctx, email);
  if (verb === 'set-role' || verb === 'remove') {
    if (!user) throw new DomainError('NOT_FOUND', `There is no user with the email ${email}`);
    if (verb === 'remove') {
      await removeUser(ctx, user.id);
      return `Removed ${user.email}.\n`;
    }
    if (!isRole(role)) throw usage(`The role must be one of ${ROLES.join(', ')}`);
    await setUserRole(ctx, user.id, role);
    return `${user.email} is now ${role}.\n`;
  }
  throw usage(`Unknown users command "${verb}"`);
}

async function readAll(stream: AsyncIterable<string | Buffer>): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
  return text;
}
