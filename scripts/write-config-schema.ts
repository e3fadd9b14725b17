// Regenerates credrot.config.schema.json from the zod schema (npm run schema).
import { writeFile } from 'node:fs/promises';
import { configJsonSchema } from '../shared/config/json-schema.js';

await writeFile(new URL('../credrot.config.schema.json', import.meta.url), configJsonSchema());
console.log('wrote credrot.config.schema.json');
