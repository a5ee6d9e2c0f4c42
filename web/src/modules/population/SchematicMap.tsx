import { useMemo } from 'react';
import { useI18n } from '../../app/i18n';
import { fmtInt } from '../../app/ui/format';
import type { Schematic } from './api';

/** Five shades of one hue, light to dark, for the grids' live migrant counts. */
const SHADES = ['#e6f0fb', '#bcd6f3', '#8db8e8', '#5a93d6', '#2f6cb8'];
const TEXT = ['#1f1f1f', '#1f1f1f', '#1f1f1f', '#ffffff', '#ffffff'];

/** Upper bounds of the shades: the quintiles of the counts shown (distinct, ascending). */
export function shadeBounds(values: number[]): number[] {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return [];
  const bounds = [1, 2, 3, 4].map((q) => sorted[Math.min(sorted.length - 1, Math.floor((q * sorted.length) / 5))]!);
  return [...new Set([...bounds, sorted[sorted.length - 1]!])];
}
const shadeOf = (bounds: number[], v: number) => {
  const i = bounds.findIndex((b) => v <= b);
  // Spread fewer bounds over the darker end so the highest counts are always the darkest.
  const at = i < 0 ? bounds.length - 1 : i;
  return SHADES.length - bounds.length + at;
};

/** A grid's name in at most two lines: the community part (…社区) and the rest, or halves of a long name. */
function lines(name: string): string[] {
  const cut = name.indexOf('社区');
  if (cut > 0 && cut + 2 < name.length) return [name.slice(0, cut + 2), name.slice(cut + 2)];
  if (name.length <= 7) return [name];
  const half = Math.ceil(name.length / 2);
  return [name.slice(0, half), name.slice(half)];
}

/**
 * 网格示意图: each community a box at its place on the street, its grids as named cells inside,
 * shaded by the grid's live migrant count. Plain SVG (text is real text: readable, selectable,
 * found by screen readers and tests); click a grid to select it.
 */
export function SchematicMap({ schematic, selected, onSelect }: { schematic: Schematic; selected: string | null; onSelect: (gridId: string) => void }) {
  const { t, locale } = useI18n();
  const bounds = useMemo(() => shadeBounds(schematic.communities.flatMap((c) => c.grids.map((g) => g.migrants))), [schematic]);
  // A single community (a station, a grid worker): zoom to it.
  const view = useMemo(() => {
    const cs = schematic.communities;
    if (cs.length === 0) return { x: 0, y: 0, w: schematic.width, h: schematic.height };
    const x = Math.min(...cs.map((c) => c.x));
    const y = Math.min(...cs.map((c) => c.y));
    return { x, y, w: Math.max(...cs.map((c) => c.x + c.w)) - x, h: Math.max(...cs.map((c) => c.y + c.h)) - y };
  }, [schematic]);
  const fs = Math.max(1.3, Math.min(view.w, view.h * 1.6) / 70);
  return (
    <div className="pop-schematic" data-testid="grid-schematic">
      <svg
        viewBox={`${view.x - 0.5} ${view.y - 0.5} ${view.w + 1} ${view.h + 1}`}
        role="img"
        aria-label={t('pop.map.source.schematic')}
        // The whole street stays legible on a phone by scrolling sideways; one community fits the screen.
        style={schematic.communities.length > 1 ? { minWidth: 640 } : undefined}
      >
        {schematic.communities.map((c) => (
          <g key={c.id} data-testid="schematic-community">
            <rect x={c.x} y={c.y} width={c.w} height={c.h} rx={0.8} fill="#fafafa" stroke="#434343" strokeWidth={0.35} />
            <text x={c.x + 1} y={c.y + 3.3} fontSize={fs * 1.35} fontWeight={700} fill="#1f1f1f">
              {c.name}
            </text>
            {c.grids.map((g) => {
              const shade = shadeOf(bounds, g.migrants);
              const ls = lines(g.name);
              const cx = g.x + g.w / 2;
              const top = g.y + g.h / 2 - ((ls.length - 1) * fs * 1.2) / 2 - fs * 0.5;
              const isSelected = selected === g.id;
              return (
                <g
                  key={g.id}
                  className="pop-schematic-grid"
                  data-testid="schematic-grid"
                  data-grid-id={g.id}
                  onClick={() => onSelect(g.id)}
                  role="button"
                  aria-pressed={isSelected}
                >
                  <title>{`${g.name} · ${t('pop.map.migrantsLive')} ${fmtInt(g.migrants, locale)}`}</title>
                  <rect
                    x={g.x + 0.3}
                    y={g.y + 0.3}
                    width={g.w - 0.6}
                    height={g.h - 0.6}
                    rx={0.4}
                    fill={isSelected ? '#ffd666' : SHADES[shade]}
                    stroke={isSelected ? '#000' : '#595959'}
                    strokeWidth={isSelected ? 0.5 : 0.15}
                    strokeDasharray={isSelected ? undefined : '0.8 0.5'}
                  />
                  <text x={cx} y={top + fs} fontSize={fs} textAnchor="middle" fill={isSelected ? '#000' : TEXT[shade]} fontWeight={isSelected ? 700 : 500}>
                    {ls.map((l, i) => (
                      <tspan key={i} x={cx} dy={i === 0 ? 0 : fs * 1.2}>
                        {l}
                      </tspan>
                    ))}
                  </text>
                  <text x={cx} y={top + fs * (ls.length * 1.2 + 1)} fontSize={fs * 0.85} textAnchor="middle" fill={isSelected ? '#000' : TEXT[shade]} opacity={0.85}>
                    {t('pop.map.people', { n: fmtInt(g.migrants, locale) })}
                  </text>
                </g>
              );
            })}
          </g>
        ))}
      </svg>
      <div className="pop-legend" data-testid="schematic-legend">
        <span>{t('pop.map.shadeBy')}</span>
        {bounds.map((b, i) => {
          const lo = i === 0 ? 0 : bounds[i - 1]! + 1;
          const shade = SHADES.length - bounds.length + i;
          return (
            <span key={b}>
              <span className="pop-legend-swatch" style={{ background: SHADES[shade], border: '1px solid #8c8c8c' }} />
              {lo === b ? fmtInt(b, locale) : `${fmtInt(lo, locale)}–${fmtInt(b, locale)}`}
            </span>
          );
        })}
      </div>
    </div>
  );
}
