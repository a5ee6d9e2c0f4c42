// `npm run audit:verify [-- --head POS:HASH]`: walks the keyed hash chain (it never seals), checks
// that every event is either sealed in the chain or unsealed, that the chain still holds the head the
// server anchored in the data directory (audit-head.json, signed), and prints the chain head.
// The head should be recorded outside the system (paper, another machine): deleting the newest
// events or recomputing the whole chain leaves a chain that verifies on its own, but not against a
// recorded head — pass it with `--head` to check that the chain still holds that link.
// Exit code 0 when intact, 1 when broken or the recorded head does not match, 2 when the data
// directory is held by a running server (PGlite).
import { loadDataKeysForScript, openForScript, option } from './lib.js';
import { GENESIS_HASH, verifyAuditChain, type ChainLink } from '../src/platform/audit/service.js';

const headArg = option('head');
let recordedHead: ChainLink | undefined;
if (headArg !== undefined) {
  const m = /^(\d+):([0-9a-f]{64})$/.exec(headArg.trim());
  if (!m) {
    console.error('用法：npm run audit:verify [-- --head 位置:哈希]（例如 --head 1234:3f5a…，哈希为 64 位十六进制）');
    process.exit(1);
  }
  recordedHead = { pos: Number(m[1]), hash: m[2]! };
}

const { config, database } = await openForScript();
let exitCode = 0;
try {
  // Only reads: events not yet sealed are counted, never sealed here (the server's sealer does that,
  // and refuses to once the chain has lost its anchored head).
  await loadDataKeysForScript(config, database.db);
  const r = await verifyAuditChain(database.db, { recordedHead, anchorDir: config.dataDir });
  if (r.anchorMatches === false) {
    console.error(r.anchorError ?? `审计日志哈希链不再包含服务器锚定的链头${r.anchorPos !== undefined ? `（位置 ${r.anchorPos}）` : ''}：已封链的记录被删除，或被清除后重新封链。`);
    exitCode = 1;
  } else if (r.firstBrokenSeq !== null || r.headPos === null) {
    console.error(r.firstBrokenSeq !== null
      ? `审计日志哈希链被破坏：第一处问题在事件 seq=${r.firstBrokenSeq}（此前 ${r.checked} 条完好）。该事件或其之前的记录被改动、删除，或未经封链写入。`
      : `审计日志记录数与哈希链不符（已校验 ${r.checked} 条，未封链 ${r.unsealed} 条）：有记录被删除或未经封链写入。`);
    exitCode = 1;
  } else if (recordedHead && !r.headMatches) {
    console.error(r.headPos < recordedHead.pos
      ? `与记录的链头不符：哈希链现只有 ${r.headPos} 个位置，少于记录的位置 ${recordedHead.pos}——最新的审计记录被删除过。`
      : `与记录的链头不符：位置 ${recordedHead.pos} 的哈希与记录不同——哈希链被重算过，其前的记录可能被改动。`);
    exitCode = 1;
  } else {
    console.log(`审计日志哈希链完整：已校验 ${r.checked} 条事件${r.unsealed ? `（另有 ${r.unsealed} 条尚未封链）` : ''}。`);
    if (recordedHead) console.log(`与记录的链头（位置 ${recordedHead.pos}）一致：该位置及之前的记录未被删除或重算。`);
    const head = `${r.headPos}:${r.headHash ?? GENESIS_HASH}`;
    console.log(`链头：${head}`);
    console.log(`请把链头连同日期记录在本系统之外（纸面或另一台机器）；下次用 npm run audit:verify -- --head ${head} 核对，即可发现最新记录被删除或整条链被重算。`);
  }
} finally {
  await database.close();
}
// After close: closing PGlite resets process.exitCode.
process.exit(exitCode);
