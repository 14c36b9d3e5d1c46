/**
 * Reaches a failpoint a number of times, printing `passed <n>` after each time it survives, then
 * `done`. Usage: `node --import tsx server/testing/failpoint-child.ts <failpoint> <times>`.
 * Used by server/failpoints.test.ts to watch a real process die.
 */
import { type Failpoint, failpoint } from '@/server/failpoints';

const [name, times] = process.argv.slice(2);
for (let i = 1; i <= Number(times ?? 1); i++) {
  failpoint(name as Failpoint);
  process.stdout.write(`passed ${i}\n`);
}
process.stdout.write('done\n');
