import type { Actor } from '../../platform/auth/actor.js';
import { inTransaction, type Db } from '../../platform/db/index.js';
import { uuidv7 } from '../../platform/db/ids.js';
import { recordAudit } from '../../platform/audit/service.js';
import { unprocessable } from '../../platform/http/errors.js';
import { loadOrgTree, type OrgTree } from '../../platform/org/tree.js';
import { scopeCovers } from '../../platform/org/scope.js';
import { inScope } from '../../platform/org/scoped-tables.js';
import { SCHEMATIC_BY_CODE } from '../../platform/org/demo/street.js';
import { pop, popTx } from './schema.js';

/**
 * The grid map (网格总图, 000:123). Until the office uploads its surveyed GeoJSON (GCJ-02 degrees, as
 * Chinese web maps use; features naming grids by code or id), the page shows a schematic (示意图):
 * each community a box at its place on the street — the boxes come with the org data
 * (SCHEMATIC_BY_CODE of the demo street; a community without one is placed in a row below) — and its
 * grids as named cells inside it, with each grid's live migrant count for the page to colour by.
 * The same cells also go out as GeoJSON polygons near 浆洗街 (so a schematic can be downloaded,
 * edited and uploaded back).
 */
interface Feature { type: 'Feature'; properties: Record<string, unknown>; geometry: { type: string; coordinates: unknown } }
interface FeatureCollection { type: 'FeatureCollection'; features: Feature[] }
interface Box { x: number; y: number; w: number; h: number }
export interface SchematicGrid extends Box { id: string; name: string; code: string; migrants: number }
export interface SchematicCommunity extends Box { id: string; name: string; grids: SchematicGrid[] }
export interface Schematic { width: number; height: number; communities: SchematicCommunity[] }

const CANVAS = { width: 100, height: 64 };
/** Communities without a stored box: a row of boxes this size below the canvas. */
const FALLBACK = { w: 32, h: 30, gap: 2 };
/** One schematic unit in degrees (GCJ-02), from the top-left corner near 浆洗街. */
const ORIGIN = { lng: 104.030, lat: 30.660 };
const DEG_PER_UNIT = 0.0002;

/** The grids of a community as cells filling its box: as many columns as keep cells roughly square, the last row's cells widened. */
function cells(box: Box, n: number): Box[] {
  const cols = Math.max(1, Math.min(n, Math.round(Math.sqrt((n * box.w) / box.h))));
  const rows = Math.ceil(n / cols);
  const pad = 1;
  const h = (box.h - pad * 2 - 4) / rows; // 4: the community's title band
  return Array.from({ length: n }, (_, i) => {
    const row = Math.floor(i / cols);
    const inRow = row === rows - 1 ? n - row * cols : cols;
    const w = (box.w - pad * 2) / inRow;
    return { x: box.x + pad + (i - row * cols) * w, y: box.y + pad + 4 + row * h, w, h };
  });
}

function schematicOf(tree: OrgTree, migrants: ReadonlyMap<string, number>): Schematic {
  const street = [...tree.units.values()].find((u) => u.kind === 'street' && u.parent_id === null);
  const communities = (street ? tree.children.get(street.id) ?? [] : []).map((id) => tree.units.get(id)!).filter((u) => u.kind === 'community' && u.valid_to === null);
  let unplaced = 0;
  let height = CANVAS.height;
  const out = communities.map((c): SchematicCommunity => {
    let box = SCHEMATIC_BY_CODE.get(c.code);
    if (!box) {
      const perRow = Math.floor((CANVAS.width + FALLBACK.gap) / (FALLBACK.w + FALLBACK.gap));
      box = { x: (unplaced % perRow) * (FALLBACK.w + FALLBACK.gap), y: CANVAS.height + FALLBACK.gap + Math.floor(unplaced / perRow) * (FALLBACK.h + FALLBACK.gap), ...FALLBACK };
      unplaced++;
      height = Math.max(height, box.y + box.h);
    }
    const grids = (tree.children.get(c.id) ?? []).map((id) => tree.units.get(id)!).filter((u) => u.kind === 'grid' && u.valid_to === null)
      .sort((a, b) => a.code.localeCompare(b.code));
    const boxes = cells(box, grids.length);
    return { id: c.id, name: c.name, ...box, grids: grids.map((g, i) => ({ id: g.id, name: g.name, code: g.code, migrants: migrants.get(g.id) ?? 0, ...boxes[i]! })) };
  });
  return { width: CANVAS.width, height, communities: out };
}

function schematicGeojson(s: Schematic): FeatureCollection {
  const at = (x: number, y: number) => [Number((ORIGIN.lng + x * DEG_PER_UNIT).toFixed(6)), Number((ORIGIN.lat - y * DEG_PER_UNIT).toFixed(6))];
  return {
    type: 'FeatureCollection',
    features: s.communities.flatMap((c) => c.grids.map((g): Feature => ({
      type: 'Feature',
      properties: { name: g.name, gridId: g.id, code: g.code, communityId: c.id, communityName: c.name },
      geometry: { type: 'Polygon', coordinates: [[at(g.x, g.y), at(g.x + g.w, g.y), at(g.x + g.w, g.y + g.h), at(g.x, g.y + g.h), at(g.x, g.y)]] },
    }))),
  };
}

/**
 * The map the caller may see: grids outside their scope are left out (and communities left with
 * none). `schematic` is set when no GeoJSON was uploaded.
 */
export async function gridMap(db: Db, actor: Actor) {
  const tree = await loadOrgTree(db);
  const uploaded = await pop(db).selectFrom('grid_maps').select(['geojson', 'uploaded_at', 'note']).orderBy('uploaded_at', 'desc').limit(1).executeTakeFirst();
  const visible = (gridId: unknown) => typeof gridId === 'string' && scopeCovers(actor.scope, gridId);
  let schematic: Schematic | null = null;
  let map: FeatureCollection;
  if (uploaded) {
    map = uploaded.geojson as FeatureCollection;
  } else {
    const counters = await pop(db).selectFrom('population_counters').select(['grid_id', 'migrants']).where(inScope(actor.scope, 'population_counters')).execute();
    const full = schematicOf(tree, new Map(counters.map((r) => [r.grid_id, r.migrants])));
    schematic = { ...full, communities: full.communities.map((c) => ({ ...c, grids: c.grids.filter((g) => visible(g.id)) })).filter((c) => c.grids.length > 0) };
    map = schematicGeojson(full);
  }
  const features = map.features.filter((f) => visible(f.properties.gridId));
  return { source: uploaded ? 'uploaded' : 'schematic', uploadedAt: uploaded?.uploaded_at ?? null, note: uploaded?.note ?? null, schematic, geojson: { type: 'FeatureCollection', features } };
}

/** Accepts a FeatureCollection of Polygon/MultiPolygon features naming grids by `gridId` or `code`. */
export async function uploadGridMap(db: Db, actor: Actor, body: { geojson: unknown; note?: string }, ip: string | null) {
  const tree = await loadOrgTree(db);
  const fc = body.geojson as FeatureCollection;
  const invalid = (message: string, path = 'geojson') => unprocessable('INVALID_GEOJSON', message, [{ path, code: 'INVALID_GEOJSON', message }]);
  if (!fc || fc.type !== 'FeatureCollection' || !Array.isArray(fc.features) || fc.features.length === 0) throw invalid('应为包含要素的 GeoJSON FeatureCollection。');
  const byCode = new Map([...tree.units.values()].filter((u) => u.kind === 'grid').map((u) => [u.code, u]));
  const features: Feature[] = fc.features.map((f, i) => {
    const path = `geojson.features.${i}`;
    if (!f || f.type !== 'Feature' || !f.geometry || !['Polygon', 'MultiPolygon'].includes(f.geometry.type)) throw invalid('每个要素应为多边形（Polygon / MultiPolygon）。', path);
    const props = f.properties ?? {};
    const grid = typeof props.gridId === 'string' ? tree.units.get(props.gridId) : typeof props.code === 'string' ? byCode.get(props.code) : undefined;
    if (!grid || grid.kind !== 'grid') throw invalid('要素未对应到本街道的网格（请在 properties 中填写 gridId 或网格代码 code）。', `${path}.properties`);
    const community = grid.parent_id ? tree.units.get(grid.parent_id) : undefined;
    return { type: 'Feature', geometry: f.geometry, properties: { name: grid.name, gridId: grid.id, code: grid.code, communityId: community?.id ?? null, communityName: community?.name ?? null } };
  });
  return inTransaction(db, async (t) => {
    const id = uuidv7();
    await popTx(t).insertInto('grid_maps').values({ id, geojson: JSON.stringify({ type: 'FeatureCollection', features }), uploaded_by: actor.userId, note: body.note ?? null }).execute();
    await recordAudit(t, { actorId: actor.userId, actorName: actor.name, action: 'grid_map.upload', entity: 'grid_map', entityId: id, ip, summary: { features: features.length } });
    return { id, features: features.length };
  });
}
