import { createContext, useContext, useState, type ReactNode } from 'react';
import { Button, Collapse, Form, Input, InputNumber, Select, Space, Switch, Table, Tag, Typography } from 'antd';
import { ArrowDownOutlined, ArrowUpOutlined, DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { useI18n, type MessageKey, type Vars } from '../../app/i18n';
import { isFenKey, isShareKey } from './codes';
import {
  initialValue,
  isConditionUnion,
  isFlatObject,
  isObject,
  isScalarSchema,
  isTypedUnion,
  numberBounds,
  pathText,
  resolve,
  variantOf,
  type JsonSchema,
  type Path,
  type Problem,
} from './jsonSchema';
import { policyWords, type PolicyWords, type Scalar } from './words';

/**
 * The 制度参数 form, generated from the pack's JSON Schema (GET /api/v1/policy/schema): each
 * section a collapsible group, each key named in the current language with its unit and range,
 * enums as selects, yes/no as switches, tables for lists and records of plain rows (annual-leave
 * tiers, leave types), cards for approval steps with their approver and condition. Errors (the
 * form's own checks and the server's, by path) show on the field they concern.
 */

type T = (key: MessageKey, vars?: Vars) => string;

interface Ctx {
  root: JsonSchema;
  update: (path: Path, value: unknown) => void;
  errorOf: (path: Path) => string | undefined;
  w: PolicyWords;
  t: T;
}
const FormCtx = createContext<Ctx | null>(null);
const useCtx = (): Ctx => useContext(FormCtx)!;

const round = (n: number) => Math.round(n * 1e6) / 1e6;
const testId = (path: Path) => `pf-${pathText(path)}`;

/** A problem of the form's check in words, with the range in the unit the input shows. */
export function problemText(p: Problem, t: T): string {
  const key = p.path.split(/[.[\]]/).filter(Boolean).pop() ?? '';
  const scale = isFenKey(key) ? 0.01 : isShareKey(key) ? 100 : 1;
  const show = (n?: number) => (n === undefined ? undefined : round(n * scale));
  switch (p.rule) {
    case 'range': {
      const [min, max] = [show(p.min), show(p.max)];
      if (min !== undefined && max !== undefined) return t('policy.form.range', { min, max });
      return min !== undefined ? t('policy.form.min', { min }) : t('policy.form.max', { max: max! });
    }
    case 'maxLength': case 'minItems': case 'maxItems':
      return t(`policy.form.${p.rule}`, { limit: p.limit ?? 0 });
    default:
      return t(`policy.form.${p.rule}`);
  }
}

export interface PolicyFormProps {
  schema: JsonSchema;
  value: Record<string, unknown>;
  original: Record<string, unknown>;
  onChange: (path: Path, value: unknown) => void;
  /** Error message by path (`security.session.idleTimeoutMinutes`). */
  errors: Map<string, string>;
  openSections: string[];
  onOpenSections: (keys: string[]) => void;
}

export function PolicyForm({ schema, value, original, onChange, errors, openSections, onOpenSections }: PolicyFormProps) {
  const { t, tx } = useI18n();
  const w = policyWords(t, tx);
  const ctx: Ctx = { root: schema, update: onChange, errorOf: (p) => errors.get(pathText(p)), w, t };
  const sections = Object.entries(schema.properties ?? {});
  const errorsIn = (k: string) => [...errors.keys()].filter((p) => p === k || p.startsWith(`${k}.`) || p.startsWith(`${k}[`)).length;
  return (
    <FormCtx.Provider value={ctx}>
      <Form layout="horizontal" labelCol={{ flex: '240px' }} labelWrap colon={false} component="div" className="policy-form" data-testid="policy-form">
        <Collapse
          activeKey={openSections}
          onChange={(keys) => onOpenSections(Array.isArray(keys) ? keys.map(String) : [String(keys)])}
          items={sections.map(([k, s]) => {
            const n = errorsIn(k);
            const changed = JSON.stringify(value[k]) !== JSON.stringify(original[k]);
            return {
              key: k,
              label: (
                <Space wrap data-testid={`pf-section-${k}`}>
                  <Typography.Text strong>{w.keyName('', k)}</Typography.Text>
                  {n > 0 && <Tag color="error">{t('policy.form.errorsCount', { count: n })}</Tag>}
                  {changed && <Tag color="processing">{t('policy.form.changed')}</Tag>}
                </Space>
              ),
              children: <Node schema={s} value={value[k]} path={[k]} parent="" k={k} top />,
            };
          })}
        />
      </Form>
    </FormCtx.Provider>
  );
}

interface NodeProps {
  schema: JsonSchema;
  value: unknown;
  path: Path;
  /** The key of the object holding this one (names depend on it) and this node's own key. */
  parent: string;
  k: string;
  top?: boolean;
}

/** One key of the pack: a labelled input, or a group / table / list for what it holds. */
function Node({ schema, value, path, parent, k, top }: NodeProps) {
  const { root, w, errorOf } = useCtx();
  const s = resolve(root, schema);
  const error = errorOf(path);
  const label = w.keyName(parent, k);
  if (s.type === 'object' && s.properties && !top) {
    return (
      <Collapse
        size="small"
        defaultActiveKey={['g']}
        style={{ marginBottom: 12 }}
        items={[{ key: 'g', label, children: <Fields schema={s} value={value} path={path} own={k} /> }]}
      />
    );
  }
  if (s.type === 'object' && s.properties) return <Fields schema={s} value={value} path={path} own={k} />;
  if (isScalarSchema(s)) {
    return (
      <Form.Item label={label} validateStatus={error ? 'error' : undefined} help={errorHelp(path, error)} extra={rangeHint(s, k)}>
        <ScalarInput schema={s} value={value} path={path} parent={parent} k={k} />
      </Form.Item>
    );
  }
  return (
    <Form.Item label={label} validateStatus={error ? 'error' : undefined} help={errorHelp(path, error)} labelCol={{ span: 24 }} className="pf-block">
      <Compound schema={s} value={value} path={path} parent={parent} k={k} />
    </Form.Item>
  );
}

function errorHelp(path: Path, error: string | undefined): ReactNode {
  return error ? <span data-testid={`${testId(path)}-error`}>{error}</span> : undefined;
}

function RangeHint({ schema, k }: { schema: JsonSchema; k: string }) {
  const { t } = useCtx();
  if (schema.type !== 'integer' && schema.type !== 'number') return null;
  const b = numberBounds(schema);
  const scale = isFenKey(k) ? 0.01 : isShareKey(k) ? 100 : 1;
  const [min, max] = [b.min, b.max].map((n) => (n === undefined ? undefined : round(n * scale)));
  if (min !== undefined && max !== undefined) return <>{t('policy.form.rangeHint', { min, max })}</>;
  if (min !== undefined) return <>{t('policy.form.minHint', { min })}</>;
  if (max !== undefined) return <>{t('policy.form.maxHint', { max })}</>;
  return null;
}
const rangeHint = (schema: JsonSchema, k: string): ReactNode =>
  schema.type === 'integer' || schema.type === 'number' ? <RangeHint schema={schema} k={k} /> : undefined;

/** The keys of an object, each as a Node (the object's own key names them). */
function Fields({ schema, value, path, own, skip = [] }: { schema: JsonSchema; value: unknown; path: Path; own: string; skip?: string[] }) {
  const obj = isObject(value) ? value : {};
  return (
    <>
      {Object.entries(schema.properties ?? {})
        .filter(([key]) => !skip.includes(key))
        .map(([key, child]) => (
          <Node key={key} schema={child} value={obj[key]} path={[...path, key]} parent={own} k={key} />
        ))}
    </>
  );
}

/** A plain value's input: a number with its unit, a select for codes, a switch for yes / no, text. */
/** `bare`: without the unit (a range shows it once, after both inputs). */
function ScalarInput({ schema, value, path, parent, k, compact, bare }: Omit<NodeProps, 'top'> & { compact?: boolean; bare?: boolean }) {
  const { update, w, errorOf, t } = useCtx();
  const status = compact && errorOf(path) ? 'error' : undefined;
  const id = testId(path);
  if (schema.enum) {
    return (
      <Select
        value={value as string | undefined}
        onChange={(v) => update(path, v)}
        options={schema.enum.map((c) => ({ value: c as string, label: w.codeName(parent, k, String(c)) }))}
        style={{ minWidth: compact ? 120 : 240 }}
        status={status}
        data-testid={id}
        popupMatchSelectWidth={false}
      />
    );
  }
  if (schema.type === 'boolean') {
    return <Switch checked={value === true} onChange={(v) => update(path, v)} checkedChildren={t('common.yes')} unCheckedChildren={t('common.no')} data-testid={id} />;
  }
  if (schema.type === 'integer' || schema.type === 'number') {
    const scale = isFenKey(k) ? 0.01 : isShareKey(k) ? 100 : 1;
    const unit = isFenKey(k) ? t('policy.unit.yuan') : isShareKey(k) ? '%' : w.unitOf(parent, k);
    // The unit after the input as text: a long one (类（大写、小写、数字、符号中）) would squeeze an addon.
    return (
      <Space size={6}>
        <InputNumber
          value={typeof value === 'number' ? round(value * scale) : null}
          onChange={(v) => update(path, v === null || v === undefined ? undefined : round(Number(v) / scale))}
          changeOnWheel={false}
          status={status}
          style={{ width: compact ? 72 : 140 }}
          data-testid={id}
        />
        {!bare && unit && <span className="pf-unit">{unit}</span>}
      </Space>
    );
  }
  if ((schema.maxLength ?? 0) >= 500) {
    return <Input.TextArea value={(value as string) ?? ''} onChange={(e) => update(path, e.target.value)} autoSize={{ minRows: 2, maxRows: 6 }} maxLength={schema.maxLength} data-testid={id} />;
  }
  return (
    <Input
      value={(value as string) ?? ''}
      onChange={(e) => update(path, e.target.value)}
      maxLength={schema.maxLength}
      status={status}
      style={{ maxWidth: compact ? 110 : 420 }}
      data-testid={id}
    />
  );
}

/** Lists, records, ranges, approvers and conditions. */
function Compound({ schema, value, path, parent, k }: Omit<NodeProps, 'top'>) {
  const { root } = useCtx();
  if (isTypedUnion(schema)) return <ApproverEditor schema={schema} value={value} path={path} own={k} />;
  if (isConditionUnion(schema)) return <ConditionEditor value={value} path={path} />;
  if (schema.type === 'array' && schema.prefixItems) return <RangeInput schema={schema} value={value} path={path} parent={parent} k={k} />;
  if (schema.type === 'array' && schema.items) {
    const item = resolve(root, schema.items);
    if (item.type === 'string') return <TagsInput schema={schema} value={value} path={path} />;
    if (isFlatObject(root, item)) return <RowsTable schema={schema} item={item} value={value} path={path} own={k} />;
    if (item.type === 'object') return <ItemCards schema={schema} item={item} value={value} path={path} own={k} />;
  }
  if (schema.type === 'object' && isObject(schema.additionalProperties) && isFlatObject(root, resolve(root, schema.additionalProperties))) {
    return <RecordTable item={resolve(root, schema.additionalProperties)} names={schema.propertyNames} value={value} path={path} own={k} />;
  }
  return <JsonFragment value={value} path={path} />;
}

/** A numeric range (200 – 250 户): two inputs and the unit once. */
function RangeInput({ schema, value, path, parent, k }: Omit<NodeProps, 'top'>) {
  const { w, t, errorOf } = useCtx();
  const items = Array.isArray(value) ? value : [];
  const unit = w.unitOf(parent, k);
  return (
    <Space wrap>
      {(schema.prefixItems ?? []).map((s, i) => (
        <Space key={i}>
          <span>{t(i === 0 ? 'policy.form.from' : 'policy.form.to')}</span>
          <ScalarInput schema={s} value={items[i]} path={[...path, i]} parent={parent} k={k} compact bare />
          {errorOf([...path, i]) && <Typography.Text type="danger">{errorOf([...path, i])}</Typography.Text>}
        </Space>
      ))}
      {unit && <span>{unit}</span>}
    </Space>
  );
}

function TagsInput({ schema, value, path }: { schema: JsonSchema; value: unknown; path: Path }) {
  const { update } = useCtx();
  return (
    <Select
      mode="tags"
      value={Array.isArray(value) ? (value as string[]) : []}
      onChange={(v) => update(path, v)}
      open={false}
      maxCount={schema.maxItems}
      style={{ maxWidth: 420 }}
      data-testid={testId(path)}
    />
  );
}

/** A cell of a table: the input, and its error below it. */
function Cell(props: Omit<NodeProps, 'top'>) {
  const { errorOf } = useCtx();
  const error = errorOf(props.path);
  return (
    <div>
      <ScalarInput {...props} compact />
      {error && (
        <div className="pf-cell-error" data-testid={`${testId(props.path)}-error`}>
          <Typography.Text type="danger">{error}</Typography.Text>
        </div>
      )}
    </div>
  );
}

/** Columns of a table of plain rows: each key named (with its unit) and edited in place. */
interface Row { key: string; value: Record<string, unknown> }

function useRowColumns(item: JsonSchema, own: string, rowPath: (key: string) => Path) {
  const { w } = useCtx();
  return Object.entries(item.properties ?? {}).map(([key, s]) => ({
    key,
    title: w.keyName(own, key),
    render: (_: unknown, row: Row) => (
      <Cell schema={s} value={row.value[key]} path={[...rowPath(row.key), key]} parent={own} k={key} />
    ),
  }));
}

/** An array of plain rows (annual-leave tiers): a table with a row per item, rows added and removed within the bounds. */
function RowsTable({ schema, item, value, path, own }: { schema: JsonSchema; item: JsonSchema; value: unknown; path: Path; own: string }) {
  const { root, update, t } = useCtx();
  const rows = Array.isArray(value) ? (value as Record<string, unknown>[]) : [];
  const columns = useRowColumns(item, own, (key) => [...path, Number(key)]);
  return (
    <Table<Row>
      size="small"
      pagination={false}
      rowKey="key"
      dataSource={rows.map((r, i) => ({ key: String(i), value: isObject(r) ? r : {} }))}
      columns={[
        { key: '#', title: '#', width: 48, render: (_: unknown, r: Row) => Number(r.key) + 1 },
        ...columns,
        {
          key: 'actions',
          title: '',
          width: 60,
          render: (_: unknown, r: Row) => (
            <Button
              type="link"
              danger
              icon={<DeleteOutlined />}
              disabled={rows.length <= (schema.minItems ?? 0)}
              onClick={() => update(path, rows.filter((_x, i) => i !== Number(r.key)))}
              aria-label={t('policy.form.remove')}
            />
          ),
        },
      ]}
      footer={() => (
        <Button size="small" icon={<PlusOutlined />} disabled={schema.maxItems !== undefined && rows.length >= schema.maxItems} onClick={() => update(path, [...rows, initialValue(root, item)])}>
          {t('policy.form.addRow')}
        </Button>
      )}
      data-testid={testId(path)}
    />
  );
}

/** A record keyed by codes (leave types): a table with the code first; a new entry needs a new code. */
function RecordTable({ item, names, value, path, own }: { item: JsonSchema; names?: JsonSchema; value: unknown; path: Path; own: string }) {
  const { root, update, t } = useCtx();
  const rec = isObject(value) ? value : {};
  const [code, setCode] = useState('');
  const columns = useRowColumns(item, own, (key) => [...path, key]);
  const codeProblem = !code ? null : rec[code] !== undefined ? t('policy.form.codeTaken') : names?.pattern && !new RegExp(names.pattern).test(code) ? t('policy.form.codeFormat') : null;
  return (
    <Table<Row>
      size="small"
      pagination={false}
      rowKey="key"
      scroll={{ x: 'max-content' }}
      dataSource={Object.entries(rec).map(([key, v]) => ({ key, value: isObject(v) ? v : {} }))}
      columns={[
        { key: 'code', title: t('policy.form.code'), render: (_: unknown, r: Row) => <span className="mono">{r.key}</span> },
        ...columns,
        {
          key: 'actions',
          title: '',
          render: (_: unknown, r: Row) => (
            <Button type="link" danger icon={<DeleteOutlined />} onClick={() => update([...path, r.key], undefined)} aria-label={t('policy.form.remove')} />
          ),
        },
      ]}
      footer={() => (
        <Space wrap>
          <Input size="small" value={code} onChange={(e) => setCode(e.target.value.trim())} placeholder={t('policy.form.newCode')} status={codeProblem ? 'error' : undefined} style={{ width: 200 }} />
          <Button
            size="small"
            icon={<PlusOutlined />}
            disabled={!code || !!codeProblem}
            onClick={() => {
              update([...path, code], initialValue(root, item));
              setCode('');
            }}
          >
            {t('policy.form.addRow')}
          </Button>
          {codeProblem && <Typography.Text type="danger">{codeProblem}</Typography.Text>}
        </Space>
      )}
      data-testid={testId(path)}
    />
  );
}

/** An array of whole objects (approval steps, 抄送 rules): a card each, in order, moved up and down. */
function ItemCards({ schema, item, value, path, own }: { schema: JsonSchema; item: JsonSchema; value: unknown; path: Path; own: string }) {
  const { root, update, t } = useCtx();
  const items = Array.isArray(value) ? value : [];
  const move = (from: number, to: number) => {
    const copy = [...items];
    const [x] = copy.splice(from, 1);
    copy.splice(to, 0, x);
    update(path, copy);
  };
  return (
    <div data-testid={testId(path)}>
      {items.map((it, i) => {
        const name = isObject(it) && typeof it.name === 'string' ? it.name : '';
        return (
          <div key={i} className="pf-card">
            <div className="pf-card-head">
              <Typography.Text strong>
                {t(own === 'steps' ? 'policy.form.step' : 'policy.form.item', { n: i + 1 })}
                {name ? ` · ${name}` : ''}
              </Typography.Text>
              <Space size={0}>
                <Button type="link" size="small" icon={<ArrowUpOutlined />} disabled={i === 0} onClick={() => move(i, i - 1)}>{t('policy.form.moveUp')}</Button>
                <Button type="link" size="small" icon={<ArrowDownOutlined />} disabled={i === items.length - 1} onClick={() => move(i, i + 1)}>{t('policy.form.moveDown')}</Button>
                <Button
                  type="link"
                  size="small"
                  danger
                  icon={<DeleteOutlined />}
                  disabled={items.length <= (schema.minItems ?? 0)}
                  onClick={() => update(path, items.filter((_x, j) => j !== i))}
                >
                  {t('policy.form.remove')}
                </Button>
              </Space>
            </div>
            <Form component={false} layout="horizontal" labelCol={{ flex: '110px' }} labelWrap colon={false}>
              <Fields schema={item} value={it} path={[...path, i]} own={own} />
            </Form>
          </div>
        );
      })}
      <Button icon={<PlusOutlined />} disabled={schema.maxItems !== undefined && items.length >= schema.maxItems} onClick={() => update(path, [...items, initialValue(root, item)])}>
        {t(own === 'steps' ? 'policy.form.addStep' : 'policy.form.addRow')}
      </Button>
    </div>
  );
}

/** Who approves: the kind first, then what that kind needs (which leader, which post …), then who stands in when nobody holds it. */
function ApproverEditor({ schema, value, path, own }: { schema: JsonSchema; value: unknown; path: Path; own: string }) {
  const { root, update, w, t, errorOf } = useCtx();
  const current = isObject(value) ? value : {};
  const variant = variantOf(schema, current);
  const kinds = (schema.oneOf ?? []).map((o) => String(o.properties!.type!.const));
  const props = Object.entries(variant?.properties ?? {}).filter(([key]) => key !== 'type' && key !== 'fallback');
  const fallbackPath = [...path, 'fallback'];
  return (
    <div className="pf-approver">
      <Space wrap align="start">
        <Select
          value={current.type as string | undefined}
          options={kinds.map((c) => ({ value: c, label: w.codeName(own, 'type', c) }))}
          onChange={(type) => {
            const option = schema.oneOf!.find((o) => o.properties?.type?.const === type)!;
            const next = initialValue(root, option) as Record<string, unknown>;
            update(path, current.fallback && option.properties?.fallback ? { ...next, fallback: current.fallback } : next);
          }}
          style={{ minWidth: 200 }}
          popupMatchSelectWidth={false}
          data-testid={testId([...path, 'type'])}
        />
        {props.map(([key, s]) => (
          <Space key={key} align="start">
            <span className="pf-inline-label">{w.keyName(own, key)}</span>
            <Cell schema={resolve(root, s)} value={current[key]} path={[...path, key]} parent={own} k={key} />
          </Space>
        ))}
      </Space>
      {errorOf(path) && <div><Typography.Text type="danger">{errorOf(path)}</Typography.Text></div>}
      {variant?.properties?.fallback &&
        (current.fallback !== undefined ? (
          <div className="pf-fallback">
            <Space>
              <span className="pf-inline-label">{w.keyName(own, 'fallback')}</span>
              <Button type="link" size="small" onClick={() => update(fallbackPath, undefined)}>{t('policy.form.fallbackRemove')}</Button>
            </Space>
            <ApproverEditor schema={schema} value={current.fallback} path={fallbackPath} own="fallback" />
          </div>
        ) : (
          <div>
            <Button type="link" size="small" icon={<PlusOutlined />} onClick={() => update(fallbackPath, { type: kinds[0] })} style={{ paddingInline: 0 }}>
              {t('policy.form.fallbackAdd')}
            </Button>
          </div>
        ))}
    </div>
  );
}

const CONDITION_TEMPLATE = { field: 'applicant.level', op: 'in', value: ['staff'] };

/** When a step or 抄送 applies: read as a sentence; changed as JSON (the condition language nests all / any / not). */
function ConditionEditor({ value, path }: { value: unknown; path: Path }) {
  const { w, t, update } = useCtx();
  const [editing, setEditing] = useState(false);
  return (
    <div>
      <Space wrap>
        <Typography.Text>{value === undefined ? t('policy.form.condAlways') : w.isCondition(value) ? w.conditionText(value) : JSON.stringify(value)}</Typography.Text>
        {!editing && (
          <Button type="link" size="small" style={{ paddingInline: 0 }} onClick={() => { if (value === undefined) update(path, CONDITION_TEMPLATE); setEditing(true); }}>
            {t(value === undefined ? 'policy.form.condAdd' : 'policy.form.condEdit')}
          </Button>
        )}
        {value !== undefined && !editing && (
          <Button type="link" size="small" danger onClick={() => update(path, undefined)}>{t('policy.form.condRemove')}</Button>
        )}
        {editing && <Button size="small" onClick={() => setEditing(false)}>{t('policy.form.condDone')}</Button>}
      </Space>
      {editing && <JsonFragment value={value} path={path} />}
    </div>
  );
}

/** A part of the pack the form has no input for, edited as JSON in place. */
function JsonFragment({ value, path }: { value: unknown; path: Path }) {
  const { update, t } = useCtx();
  const [text, setText] = useState(() => JSON.stringify(value, null, 2) ?? '');
  const [bad, setBad] = useState<string | null>(null);
  return (
    <div>
      <Input.TextArea
        className="json-editor"
        value={text}
        autoSize={{ minRows: 2, maxRows: 12 }}
        spellCheck={false}
        status={bad ? 'error' : undefined}
        onChange={(e) => {
          setText(e.target.value);
          try {
            update(path, e.target.value.trim() === '' ? undefined : (JSON.parse(e.target.value) as Scalar | object));
            setBad(null);
          } catch (err) {
            setBad(t('policy.invalidJson', { message: (err as Error).message }));
          }
        }}
        data-testid={`${testId(path)}-json`}
      />
      {bad && <Typography.Text type="danger">{bad}</Typography.Text>}
    </div>
  );
}
