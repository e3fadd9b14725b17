import { z } from 'zod';
import { configSchema } from './schema.js';

/** The JSON Schema of the configuration *file* (input side: durations are strings). */
export function configJsonSchema(): string {
  const schema = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' });
  const doc = {
    ...schema,
    $id: 'https://github.com/credrot/credrot/credrot.config.schema.json',
    title: 'credrot configuration',
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}
