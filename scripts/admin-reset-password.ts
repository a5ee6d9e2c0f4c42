// `npm run admin:reset-password -- USERNAME`: resets the password of one of the separated admins
// (三员分立: system, security or audit admin) on the server itself. Inside the system no admin may
// reset another admin's password — the one receiving the one-time password could take over the
// account — so this is done by whoever operates the server, with access to its database. The new
// one-time password goes to a 0600 file in the data directory (never to the terminal or a log),
// must be changed at first login, ends the account's sessions, and the reset is audited as done
// offline. Exit 0 done, 1 refused (unknown user, not an admin), 2 data directory held by a server.
import { openForScript } from './lib.js';
import { resetAdminPasswordOffline } from '../src/platform/org/admin-service.js';

const username = process.argv.slice(2).find((a) => !a.startsWith('-'));
if (!username) {
  console.error('用法：npm run admin:reset-password -- 用户名（仅用于系统、安全、审计管理员账号）');
  process.exit(1);
}

const { config, database } = await openForScript({ prepare: true });
let exitCode = 0;
try {
  const r = await resetAdminPasswordOffline(database.db, username, config.dataDir);
  if (r.ok) console.log(`已重置「${username}」（${r.roleName}）的密码，一次性密码见 ${r.file}（仅本机可读），首次登录后必须修改。`);
  else { console.error(r.reason); exitCode = 1; }
} finally {
  await database.close();
}
process.exit(exitCode);
