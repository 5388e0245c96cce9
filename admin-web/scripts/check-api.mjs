// Fails when src/api/schema.d.ts (committed) differs from what openapi-typescript generates from
// ../openapi/stoa.yaml. Regenerate with `npm run gen:api`.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import openapiTS, { astToString } from 'openapi-typescript';

const root = new URL('..', import.meta.url);
const spec = new URL('../openapi/stoa.yaml', root);
const committed = readFileSync(fileURLToPath(new URL('src/api/schema.d.ts', root)), 'utf8');
const ast = await openapiTS(spec);
const fresh = astToString(ast);
const norm = (s) => s.replace(/^\/\*\*[\s\S]*?\*\/\s*/, '').trim();
if (norm(fresh) !== norm(committed)) {
  console.error(
    'admin-web/src/api/schema.d.ts differs from openapi/stoa.yaml: run `make console-api` (or `cd admin-web && npm run gen:api`) and commit it',
  );
  process.exit(1);
}
console.log('admin-web API types match openapi/stoa.yaml');
