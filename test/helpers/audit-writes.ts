import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/**
 * Every audit event the server can write, read from its source with the TypeScript checker: each
 * call of `recordAudit(db, { action, entity, summary })` (or `recordReadAudit`) and of the org helper
 * `audit(db, actor, ip, action, entityId, summary)`. An action is a string literal, a union of
 * literals (`cond ? 'a' : 'b'`, a parameter typed `'pass' | 'return'`) or a template over such
 * unions (`record.${decision}`); anything else is reported as unresolved, so a new dynamic action
 * cannot slip past the label check. Summary keys come from the summary's type; the code values a
 * key can take (string literal types) come with it.
 */
export interface AuditWrite {
  file: string;
  line: number;
  actions: string[];
  entities: string[];
  /** Summary key → the string codes it may carry ([] when free text, ids or numbers). */
  summary: Record<string, string[]>;
}

export interface AuditWrites { writes: AuditWrite[]; unresolved: string[] }

const root = path.resolve(import.meta.dirname, '..', '..');

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = path.join(dir, d.name);
    if (d.isDirectory()) return sourceFiles(p);
    return d.name.endsWith('.ts') && !d.name.endsWith('.test.ts') ? [p] : [];
  });
}

export function collectAuditWrites(): AuditWrites {
  const files = [...sourceFiles(path.join(root, 'src')), ...sourceFiles(path.join(root, 'scripts'))]
    .filter((f) => /\b(recordAudit|recordReadAudit|audit)\(/.test(fs.readFileSync(f, 'utf8')));
  const config = ts.parseJsonConfigFileContent(ts.readConfigFile(path.join(root, 'tsconfig.json'), ts.sys.readFile).config, ts.sys, root);
  const program = ts.createProgram(files, { ...config.options, noEmit: true });
  const checker = program.getTypeChecker();
  const writes: AuditWrite[] = [];
  const unresolved: string[] = [];

  /** The string values an expression may have, or null when it is not a closed set of literals. */
  const literals = (e: ts.Expression): string[] | null => {
    if (ts.isStringLiteralLike(e)) return [e.text];
    if (ts.isParenthesizedExpression(e)) return literals(e.expression);
    if (ts.isConditionalExpression(e)) {
      const a = literals(e.whenTrue);
      const b = literals(e.whenFalse);
      return a && b ? [...a, ...b] : null;
    }
    if (ts.isTemplateExpression(e)) {
      let acc = [e.head.text];
      for (const span of e.templateSpans) {
        const vals = literals(span.expression);
        if (!vals) return null;
        acc = acc.flatMap((p) => vals.map((v) => p + v + span.literal.text));
      }
      return acc;
    }
    return typeLiterals(checker.getTypeAtLocation(e));
  };
  const typeLiterals = (t: ts.Type): string[] | null => {
    const parts = t.isUnion() ? t.types : [t];
    const out: string[] = [];
    for (const p of parts) {
      if (p.isStringLiteral()) out.push(p.value);
      else return null;
    }
    return out;
  };
  /** Codes of a summary value: string literal types only (ids, free text and numbers carry none). */
  const codesOf = (t: ts.Type): string[] => {
    const parts = (t.isUnion() ? t.types : [t]).filter((p) => !(p.flags & (ts.TypeFlags.Undefined | ts.TypeFlags.Null)));
    if (parts.length > 0 && parts.every((p) => p.isStringLiteral())) return parts.map((p) => (p as ts.StringLiteralType).value);
    // Arrays of codes (e.g. ('a' | 'b')[]).
    if (parts.length === 1 && checker.isArrayType(parts[0]!)) {
      const el = checker.getTypeArguments(parts[0] as ts.TypeReference)[0];
      return el ? codesOf(el) : [];
    }
    return [];
  };
  const summaryOf = (e: ts.Expression | undefined): Record<string, string[]> => {
    const out: Record<string, string[]> = {};
    if (!e) return out;
    if (ts.isParenthesizedExpression(e)) return summaryOf(e.expression);
    // `cond ? { a } : {}`: the keys of either branch.
    if (ts.isConditionalExpression(e)) return { ...summaryOf(e.whenTrue), ...summaryOf(e.whenFalse) };
    if (ts.isObjectLiteralExpression(e)) {
      for (const p of e.properties) {
        if (ts.isPropertyAssignment(p) || ts.isShorthandPropertyAssignment(p)) {
          const name = p.name.getText();
          const init = ts.isPropertyAssignment(p) ? p.initializer : p.name;
          out[name] = ts.isStringLiteralLike(init) ? [init.text] : (literals(init as ts.Expression) ?? codesOf(checker.getTypeAtLocation(init)));
        } else if (ts.isSpreadAssignment(p)) {
          Object.assign(out, summaryOf(p.expression));
        }
      }
      return out;
    }
    const t = checker.getTypeAtLocation(e);
    if (t.flags & ts.TypeFlags.StringLike) return out; // free-text summary
    for (const s of checker.getPropertiesOfType(t)) out[s.getName()] = codesOf(checker.getTypeOfSymbolAtLocation(s, e));
    return out;
  };

  for (const sf of program.getSourceFiles()) {
    // org/audit.ts is the helper itself: its callers are read instead.
    if (!files.includes(path.resolve(sf.fileName)) || sf.fileName.endsWith('platform/org/audit.ts')) continue;
    const visit = (n: ts.Node): void => {
      if (ts.isCallExpression(n) && ts.isIdentifier(n.expression) && ['recordAudit', 'recordReadAudit', 'audit'].includes(n.expression.text)) {
        const where = `${path.relative(root, sf.fileName)}:${sf.getLineAndCharacterOfPosition(n.getStart()).line + 1}`;
        const line = sf.getLineAndCharacterOfPosition(n.getStart()).line + 1;
        const file = path.relative(root, sf.fileName);
        if (n.expression.text === 'recordAudit' || n.expression.text === 'recordReadAudit') {
          const entry = n.arguments[1];
          if (entry && ts.isObjectLiteralExpression(entry)) {
            const prop = (name: string) => entry.properties.find((p): p is ts.PropertyAssignment => ts.isPropertyAssignment(p) && p.name.getText() === name);
            const action = prop('action');
            const entity = prop('entity');
            const actions = action ? literals(action.initializer) : null;
            const entities = entity ? literals(entity.initializer) : null;
            if (!actions) unresolved.push(`${where}: action ${action?.initializer.getText() ?? '(missing)'}`);
            if (!entities) unresolved.push(`${where}: entity ${entity?.initializer.getText() ?? '(missing)'}`);
            writes.push({ file, line, actions: actions ?? [], entities: entities ?? [], summary: summaryOf(prop('summary')?.initializer) });
          } else {
            unresolved.push(`${where}: ${n.expression.text} without an object literal`);
          }
        } else if (n.arguments.length === 6) {
          // org/audit.ts: the entity is the action's prefix.
          const actions = literals(n.arguments[3]!);
          if (!actions) unresolved.push(`${where}: action ${n.arguments[3]!.getText()}`);
          writes.push({ file, line, actions: actions ?? [], entities: (actions ?? []).map((a) => a.slice(0, a.indexOf('.'))), summary: summaryOf(n.arguments[5]) });
        }
      }
      ts.forEachChild(n, visit);
    };
    visit(sf);
  }
  return { writes, unresolved };
}
