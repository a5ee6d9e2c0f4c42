import type { Actor } from '../../platform/auth/actor.js';
import { inTransaction, type Db } from '../../platform/db/index.js';
import { uuidv7 } from '../../platform/db/ids.js';
import { recordAudit } from '../../platform/audit/service.js';
import { unprocessable } from '../../platform/http/errors.js';
import { loadOrgTree, type OrgTree } from '../../platform/org/tree.js';
import { scopeCovers } from '../../platform/org/scope.js';
import { pop, popTx } from './schema.js';

/**
 * The grid map (网格总图, 000:123): communities in distinct colours, grids outlined. The demo street
 * ships a schematic map generated from the org tree (rectangles near 浆洗街, GCJ-02 degrees); an
 * office replaces it by uploading its surveyed GeoJSON, whose features name grids by code or id.
 */
interface Feature { type: 'Feature'; properties: Record<string, unknown>; geometry: { type: string; coordinates: unknown } }
interface FeatureCollection { type: 'FeatureCollection'; features: Feature[] }

const ORIGIN = { lng: 104.030, lat: 30.655 };
const COMMUNITY_W = 0.008;
const COMMUNITY_H = 0.012;

function schematic(tree: OrgTree): FeatureCollection {
  const features: Feature[] = [];
  const street = [...tree.units.values()].find((u) => u.kind === 'street' && u.parent_id === null);
  const communities = (street ? tree.children.get(street.id) ?? [] : []).map((id) => tree.units.get(id)!).filter((u) => u.kind === 'community');
  communities.forEach((c, ci) => {
    const x0 = ORIGIN.lng + ci * COMMUNITY_W;
    const y0 = ORIGIN.lat;
    const grids = (tree.children.get(c.id) ?? []).map((id) => tree.units.get(id)!).filter((u) => u.kind === 'grid');
    const rows = Math.max(1, grids.length);
    grids.forEach((g, gi) => {
      const y1 = y0 - (gi * COMMUNITY_H) / rows;
      const y2 = y0 - ((gi + 1) * COMMUNITY_H) / rows;
      const ring = [[x0, y1], [x0 + COMMUNITY_W, y1], [x0 + COMMUNITY_W, y2], [x0, y2], [x0, y1]];
      features.push({ type: 'Feature', properties: { name: g.name, gridId: g.id, code: g.code, communityId: c.id, communityName: c.name }, geometry: { type: 'Polygon', coordinates: [ring] } });
    });
  });
  return { type: 'FeatureCollection', features };
}

/** The map the caller may see: features of grids outside their scope are left out. */
export async function gridMap(db: Db, actor: Actor) {
  const tree = await loadOrgTree(db);
  const uploaded = await pop(db).selectFrom('grid_maps').select(['geojson', 'uploaded_at', 'note']).orderBy('uploaded_at', 'desc').limit(1).executeTakeFirst();
  const map = (uploaded?.geojson as FeatureCollection | undefined) ?? schematic(tree);
  const features = map.features.filter((f) => typeof f.properties.gridId === 'string' && scopeCovers(actor.scope, f.properties.gridId));
  return { source: uploaded ? 'uploaded' : 'schematic', uploadedAt: uploaded?.uploaded_at ?? null, note: uploaded?.note ?? null, geojson: { type: 'FeatureCollection', features } };
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
