#!/usr/bin/env node
/**
 * Fails when a public export of a package has no TSDoc comment or no `@example` in it.
 * Usage (from a package directory): node ../../tooling/check-docs.mjs [src/index.ts]
 * Uses the TypeScript compiler API to follow src/index.ts's re-exports to their declarations.
 */
import { resolve } from 'node:path';
import ts from 'typescript';

const entry = resolve(process.argv[2] ?? 'src/index.ts');
const program = ts.createProgram([entry], {
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  target: ts.ScriptTarget.ES2022,
  allowJs: false,
  noEmit: true,
  customConditions: ['@multiproc/source'],
});
const checker = program.getTypeChecker();
const source = program.getSourceFile(entry);
if (!source) {
  console.error(`check-docs: cannot read ${entry}`);
  process.exit(2);
}
const moduleSymbol = checker.getSymbolAtLocation(source);
const problems = [];
for (const exported of checker.getExportsOfModule(moduleSymbol)) {
  const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
  const declarations = symbol.getDeclarations() ?? [];
  const docs = declarations.flatMap((declaration) => ts.getJSDocCommentsAndTags(declaration));
  const text = docs.map((doc) => doc.getText()).join('\n');
  const where = declarations[0] ? `${declarations[0].getSourceFile().fileName.replace(process.cwd() + '/', '')}` : '?';
  if (docs.length === 0) problems.push(`${exported.name} (${where}): no TSDoc comment`);
  else if (!/@example/.test(text)) problems.push(`${exported.name} (${where}): TSDoc has no @example`);
}
if (problems.length > 0) {
  console.error(`check-docs: ${problems.length} public export(s) need documentation:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`check-docs: every public export of ${entry.replace(process.cwd() + '/', '')} has TSDoc with an example`);
