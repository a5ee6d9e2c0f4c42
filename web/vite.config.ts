import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';

// The web app lives in web/; the server serves web/dist at "/" with an SPA fallback.
// Build: npx vite build --config web/vite.config.ts   (from the repository root)
const webRoot = fileURLToPath(new URL('.', import.meta.url));

type ModuleInfo = { id: string; isEntry: boolean; importedIds: readonly string[]; code: string | null };
type ModuleInfoOf = (id: string) => ModuleInfo | null;
type ChunkMeta = { getModuleInfo: ModuleInfoOf; getModuleIds: () => IterableIterator<string> };

const norm = (id: string) => id.replace(/\\/g, '/');
const pkg = (id: string) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(norm(id))?.[1];

/**
 * Libraries imported through one index that re-exports every component (`import { Button } from 'antd'`):
 * following all of that index's imports would count the whole library as needed by whoever imports
 * one name from it, so only the names actually imported are followed.
 */
const BARRELS: Record<string, RegExp> = { antd: /\/node_modules\/antd\/es\/index\.js$/ };

/** `import { A, B as C } from 'lib'` in (transformed) code → ['A', 'B']; null for `import * as x`. */
function namesImported(code: string, lib: string): string[] | null {
  const q = lib.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  if (new RegExp(`import\\s*\\*\\s*as\\s+\\w+\\s*from\\s*["']${q}["']`).test(code)) return null;
  const names: string[] = [];
  for (const m of code.matchAll(new RegExp(`(?:import|export)\\s*\\{([^}]*)\\}\\s*from\\s*["']${q}["']`, 'g'))) {
    for (const part of m[1].split(',')) {
      const name = part.trim().replace(/^type\s+/, '').split(/\s+as\s+/)[0]?.trim();
      if (name) names.push(name);
    }
  }
  return names;
}

/** The barrel's `export { default as Button } from './button'` → Button → the module id of ./button. */
function barrelTargets(barrel: ModuleInfo): Map<string, string> {
  const map = new Map<string, string>();
  const dir = path.posix.dirname(norm(barrel.id));
  const ids = barrel.importedIds.map(norm);
  for (const m of (barrel.code ?? '').matchAll(/export\s*\{([^}]*)\}\s*from\s*["']([^"']+)["']/g)) {
    const base = path.posix.join(dir, m[2]);
    const target = ids.find((i) => i === base || i === `${base}.js` || i === `${base}/index.js`);
    if (!target) continue;
    for (const part of m[1].split(',')) {
      const name = part.trim().split(/\s+as\s+/).pop()?.trim();
      if (name) map.set(name, target);
    }
  }
  return map;
}

/**
 * The modules the first screen (the login page) needs: what the entry imports statically, through
 * barrels only what is named. Whatever is reached only through `import()` (the pages, the layout
 * behind the login) is not in it.
 */
let bootModules: Set<string> | null = null;
function bootSet({ getModuleInfo, getModuleIds }: ChunkMeta): Set<string> {
  if (bootModules) return bootModules;
  const seen = new Set<string>();
  const targetsOf = new Map<string, Map<string, string>>();
  const stack = [...getModuleIds()].filter((id) => getModuleInfo(id)?.isEntry);
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    const info = getModuleInfo(id);
    if (!info) continue;
    for (const dep of info.importedIds) {
      const lib = Object.keys(BARRELS).find((k) => BARRELS[k].test(norm(dep)));
      const barrel = lib ? getModuleInfo(dep) : null;
      const names = lib && barrel ? namesImported(info.code ?? '', lib) : null;
      if (!lib || !barrel || names === null) {
        stack.push(dep);
        continue;
      }
      seen.add(dep);
      if (!targetsOf.has(dep)) targetsOf.set(dep, barrelTargets(barrel));
      const targets = targetsOf.get(dep)!;
      for (const n of names) {
        const t = targets.get(n);
        if (t) stack.push(t);
      }
    }
  }
  bootModules = seen;
  return seen;
}

const REACT = new Set(['react', 'react-dom', 'scheduler', 'react-router']);
// Low-level helpers shared by antd and the icons: kept with the other first-screen libraries, so that
// neither of the two chunks has to import the other's.
const ANTD_BASE = new Set(['rc-util', '@rc-component/util', '@ant-design/colors', '@ant-design/fast-color']);
const isAntd = (p: string) => p === 'antd' || p.startsWith('@ant-design/') || p.startsWith('rc-') || p.startsWith('@rc-component/');

/**
 * Vendor chunks, cached apart from the app's own code (which changes with every release):
 *   react       react, react-dom, the router
 *   icons       every @ant-design/icons icon the app uses (small, shared by the menu and most pages)
 *   antd        the antd components the first screen needs (config provider, form, input, button, …)
 *   antd-pages  the rest of antd the pages use (table, date picker, tree, upload, …), loaded after login
 *   vendor      other libraries of the first screen (TanStack Query, dayjs, antd's base helpers, …)
 *   echarts     charts (statistics and map pages only)
 * Other libraries used only by pages are left where Rollup puts them (with the pages using them).
 * A misplaced module never breaks the app: if the first screen needs a module of a later chunk, that
 * chunk is simply loaded with the login page (a static import), and the build warns (checkFirstScreen).
 */
function manualChunks(id: string, meta: ChunkMeta): string | undefined {
  const p = pkg(id);
  if (!p) return undefined;
  if (p === 'echarts' || p === 'zrender' || p === 'echarts-for-react') return 'echarts';
  if (REACT.has(p)) return 'react';
  if (p === '@ant-design/icons' || p === '@ant-design/icons-svg') return 'icons';
  const boot = bootSet(meta).has(id);
  if (ANTD_BASE.has(p)) return boot ? 'vendor' : 'antd-pages';
  if (isAntd(p)) return boot ? 'antd' : 'antd-pages';
  return boot ? 'vendor' : undefined;
}

/** Chunks the first screen must not load: warns when the entry imports one of them statically. */
const LATER_CHUNKS = /^assets\/(?:antd-pages|echarts|AppLayout|HomePage|[A-Za-z]+Page)-/;
function checkFirstScreen(): Plugin {
  return {
    name: 'jiedao-first-screen',
    apply: 'build',
    renderStart() {
      bootModules = null;
    },
    generateBundle(_options, bundle) {
      const entry = Object.values(bundle).find((c) => c.type === 'chunk' && c.isEntry);
      if (!entry || entry.type !== 'chunk') return;
      const seen = new Set<string>();
      const visit = (file: string) => {
        if (seen.has(file)) return;
        seen.add(file);
        const c = bundle[file];
        if (c?.type === 'chunk') c.imports.forEach(visit);
      };
      visit(entry.fileName);
      const late = [...seen].filter((f) => LATER_CHUNKS.test(f));
      if (late.length > 0) this.warn(`the login page would load ${late.join(', ')}: keep page code behind React.lazy`);
    },
  };
}

const brotli = promisify(zlib.brotliCompress);
const gzip = promisify(zlib.gzip);
const COMPRESSIBLE = /\.(?:js|mjs|css|html|svg|json|txt|map)$/;

/**
 * Writes `<file>.br` and `<file>.gz` beside every compressible file of the build, once, at the highest
 * levels (on zlib's thread pool); the server sends them as they are (@fastify/static `preCompressed`).
 * A variant that would not be smaller is not written.
 */
function precompress(): Plugin {
  let outDir = '';
  return {
    name: 'jiedao-precompress',
    apply: 'build',
    configResolved(config) {
      outDir = path.resolve(config.root, config.build.outDir);
    },
    async closeBundle() {
      const files: string[] = [];
      const walk = (dir: string) => {
        for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
          const p = path.join(dir, e.name);
          if (e.isDirectory()) walk(p);
          else if (COMPRESSIBLE.test(e.name)) files.push(p);
        }
      };
      if (!fs.existsSync(outDir)) return;
      walk(outDir);
      await Promise.all(files.map(async (file) => {
        const raw = await fs.promises.readFile(file);
        const br = await brotli(raw, {
          params: { [zlib.constants.BROTLI_PARAM_QUALITY]: zlib.constants.BROTLI_MAX_QUALITY, [zlib.constants.BROTLI_PARAM_MODE]: zlib.constants.BROTLI_MODE_TEXT, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: raw.length },
        });
        const gz = await gzip(raw, { level: zlib.constants.Z_BEST_COMPRESSION });
        if (br.length < raw.length) await fs.promises.writeFile(`${file}.br`, br);
        if (gz.length < raw.length) await fs.promises.writeFile(`${file}.gz`, gz);
      }));
    },
  };
}

export default defineConfig({
  root: webRoot,
  base: '/',
  plugins: [react(), checkFirstScreen(), precompress()],
  build: {
    outDir: fileURLToPath(new URL('./dist', import.meta.url)),
    emptyOutDir: true,
    chunkSizeWarningLimit: 2500,
    rollupOptions: {
      output: { manualChunks },
    },
  },
  server: {
    port: 5173,
    proxy: {
      '/api': { target: 'http://127.0.0.1:3000', changeOrigin: false },
    },
  },
});
