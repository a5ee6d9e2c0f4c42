import { useMemo, useState, type ReactNode } from 'react';
import { Button, Space, Tree } from 'antd';
import type { DataNode } from 'antd/es/tree';
import { useI18n } from '../../app/i18n';

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function scalarText(v: unknown, empty: string): string {
  if (v === null || v === undefined || v === '') return empty;
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

/** A short array of scalars reads best on one line: 200 – 250, or a, b, c. */
function isScalarArray(v: unknown): v is (string | number | boolean | null)[] {
  return Array.isArray(v) && v.length <= 12 && v.every((x) => x === null || ['string', 'number', 'boolean'].includes(typeof x));
}

function itemLabel(v: unknown, i: number): string {
  if (isObject(v)) {
    for (const k of ['name', 'title', 'label', 'code', 'kind', 'type']) {
      if (typeof v[k] === 'string' || typeof v[k] === 'number') return `${i + 1}. ${String(v[k])}`;
    }
  }
  return `${i + 1}.`;
}

export function collectKeys(doc: unknown, prefix = '$'): string[] {
  const out: string[] = [];
  const walk = (v: unknown, path: string) => {
    if (isObject(v)) {
      for (const [k, c] of Object.entries(v)) {
        const p = `${path}.${k}`;
        if ((isObject(c) || Array.isArray(c)) && !isScalarArray(c)) {
          out.push(p);
          walk(c, p);
        }
      }
    } else if (Array.isArray(v)) {
      v.forEach((c, i) => {
        const p = `${path}[${i}]`;
        if ((isObject(c) || Array.isArray(c)) && !isScalarArray(c)) {
          out.push(p);
          walk(c, p);
        }
      });
    }
  };
  walk(doc, prefix);
  return out;
}

/** The pack document as a readable outline: Chinese section names where known, the key beside. */
export function PolicyTree({ document }: { document: unknown }) {
  const { t, tx } = useI18n();
  const empty = t('policy.emptyValue');
  const allKeys = useMemo(() => collectKeys(document), [document]);
  const topKeys = useMemo(() => (isObject(document) ? Object.keys(document).map((k) => `$.${k}`) : []), [document]);
  const [expanded, setExpanded] = useState<string[]>(topKeys);

  const data = useMemo(() => {
    const label = (k: string) => {
      const zh = tx(`pk.${k}`, '');
      return zh ? (
        <>
          <span className="pv-key">{zh}</span> <span className="pv-count mono">{k}</span>
        </>
      ) : (
        <span className="pv-key mono">{k}</span>
      );
    };
    const build = (v: unknown, path: string, title: ReactNode): DataNode => {
      if (isScalarArray(v)) {
        return {
          key: path,
          isLeaf: true,
          title: (
            <span>
              {title}：<span className="pv-value">{v.length === 0 ? empty : v.map((x) => scalarText(x, empty)).join('、')}</span>
            </span>
          ),
        };
      }
      if (isObject(v)) {
        const entries = Object.entries(v);
        return {
          key: path,
          title: (
            <span>
              {title}
              <span className="pv-count">{t('policy.items', { count: entries.length })}</span>
            </span>
          ),
          children: entries.map(([k, c]) => build(c, `${path}.${k}`, label(k))),
        };
      }
      if (Array.isArray(v)) {
        return {
          key: path,
          title: (
            <span>
              {title}
              <span className="pv-count">{t('policy.items', { count: v.length })}</span>
            </span>
          ),
          children: v.map((c, i) => build(c, `${path}[${i}]`, <span className="pv-key">{itemLabel(c, i)}</span>)),
        };
      }
      return {
        key: path,
        isLeaf: true,
        title: (
          <span>
            {title}：<span className="pv-value">{scalarText(v, empty)}</span>
          </span>
        ),
      };
    };
    if (isObject(document)) return Object.entries(document).map(([k, c]) => build(c, `$.${k}`, label(k)));
    return [build(document, '$', '$')];
  }, [document, t, tx, empty]);

  return (
    <div data-testid="policy-tree">
      <Space style={{ marginBottom: 8 }}>
        <Button size="small" onClick={() => setExpanded(allKeys)}>
          {t('policy.expandAll')}
        </Button>
        <Button size="small" onClick={() => setExpanded([])}>
          {t('policy.collapseAll')}
        </Button>
      </Space>
      <Tree
        className="policy-tree"
        showLine={{ showLeafIcon: false }}
        selectable={false}
        treeData={data}
        expandedKeys={expanded}
        onExpand={(keys) => setExpanded(keys.map(String))}
      />
    </div>
  );
}
