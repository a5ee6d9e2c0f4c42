import { useMemo, useState, type ReactNode } from 'react';
import { Button, Space, Tree } from 'antd';
import type { DataNode } from 'antd/es/tree';
import { useI18n } from '../../app/i18n';
import { isScalar, policyWords, type Scalar } from './words';

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A short array of scalars reads best on one line: 200 – 250, or a, b, c. */
function isScalarArray(v: unknown): v is Scalar[] {
  return Array.isArray(v) && v.length <= 12 && v.every(isScalar);
}

/** A condition of an approval chain (`{ field, op, value }`), read as one sentence. */
function isCondition(v: unknown): v is { field: string; op: string; value: Scalar | Scalar[] } {
  return isObject(v) && typeof v.field === 'string' && typeof v.op === 'string' && 'value' in v && Object.keys(v).length === 3;
}

/** A small object of plain values without a name of its own (an annual-leave tier): one line. */
function isFlatRow(v: unknown): v is Record<string, Scalar> {
  return isObject(v) && !('name' in v) && Object.keys(v).length <= 4 && Object.values(v).every(isScalar);
}

export function collectKeys(doc: unknown, prefix = '$'): string[] {
  const out: string[] = [];
  const walk = (v: unknown, path: string) => {
    if (isObject(v)) {
      for (const [k, c] of Object.entries(v)) {
        const p = `${path}.${k}`;
        if ((isObject(c) || Array.isArray(c)) && !isScalarArray(c) && !isCondition(c)) {
          out.push(p);
          walk(c, p);
        }
      }
    } else if (Array.isArray(v)) {
      v.forEach((c, i) => {
        const p = `${path}[${i}]`;
        if ((isObject(c) || Array.isArray(c)) && !isScalarArray(c) && !isCondition(c) && !isFlatRow(c)) {
          out.push(p);
          walk(c, p);
        }
      });
    }
  };
  walk(doc, prefix);
  return out;
}

/**
 * The pack document as a readable outline: every key by its name in the current language (the key
 * itself in the tooltip, for the JSON editor), numbers with their unit (天, 小时, 元 …), codes in
 * words, conditions of approval chains as sentences, leave types by their name.
 */
export function PolicyTree({ document }: { document: unknown }) {
  const { t, tx } = useI18n();
  const allKeys = useMemo(() => collectKeys(document), [document]);
  const topKeys = useMemo(() => (isObject(document) ? Object.keys(document).map((k) => `$.${k}`) : []), [document]);
  const [expanded, setExpanded] = useState<string[]>(topKeys);

  const data = useMemo(() => {
    const { keyName, valueText, arrayText, conditionText } = policyWords(t, tx);
    const label = (parent: string, key: string, path: string): ReactNode => (
      <span className="pv-key" title={path.replace(/^\$\./, '')}>
        {keyName(parent, key)}
      </span>
    );

    const leaf = (path: string, title: ReactNode, text: string): DataNode => ({
      key: path,
      isLeaf: true,
      title: (
        <span>
          {title}：<span className="pv-value">{text}</span>
        </span>
      ),
    });

    /** `parent`: the key of the object holding `v`'s key (names depend on it: patrolIntervalDays.grid ≠ the grid section). */
    const build = (v: unknown, path: string, title: ReactNode, parent: string, key: string): DataNode => {
      if (isCondition(v)) return leaf(path, title, conditionText(v));
      if (isScalarArray(v)) return leaf(path, title, arrayText(parent, key, v));
      if (isObject(v)) {
        const entries = Object.entries(v);
        // A record keyed by codes (leave types): each entry by its name.
        const byName = entries.length > 0 && entries.every(([, c]) => isObject(c) && typeof c.name === 'string') && key === 'types';
        return {
          key: path,
          title: (
            <span>
              {title}
              <span className="pv-count">{t('policy.items', { count: entries.length })}</span>
            </span>
          ),
          children: entries.map(([k, c]) => {
            const p = `${path}.${k}`;
            const childTitle = byName ? (
              <span className="pv-key" title={p.replace(/^\$\./, '')}>
                {String((c as Record<string, unknown>).name)}
              </span>
            ) : (
              label(key, k, p)
            );
            // A record's entries keep the record's key as their parent (leave.types.sick.fixedDays → types.fixedDays).
            return build(c, p, childTitle, key, byName ? key : k);
          }),
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
          children: v.map((c, i) => {
            const p = `${path}[${i}]`;
            if (isCondition(c)) return { key: p, isLeaf: true, title: <span className="pv-value">{`${i + 1}. ${conditionText(c)}`}</span> };
            if (isFlatRow(c)) {
              const text = Object.entries(c).map(([k, x]) => `${keyName(key, k)} ${valueText(key, k, x)}`).join('，');
              return { key: p, isLeaf: true, title: <span className="pv-value">{`${i + 1}. ${text}`}</span> };
            }
            const name = isObject(c) && typeof c.name === 'string' ? ` ${c.name}` : '';
            return build(c, p, <span className="pv-key">{`${i + 1}.${name}`}</span>, key, key);
          }),
        };
      }
      return leaf(path, title, valueText(parent, key, v as Scalar));
    };
    // The pack's own description first; the sections as stored.
    if (isObject(document)) {
      return Object.entries(document)
        .sort(([a], [b]) => Number(b === 'meta') - Number(a === 'meta'))
        .map(([k, c]) => build(c, `$.${k}`, label('', k, `$.${k}`), '', k));
    }
    return [build(document, '$', '$', '', '')];
  }, [document, t, tx]);

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
