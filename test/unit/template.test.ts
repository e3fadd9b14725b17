import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../shared/errors.js';
import { dockerAuthConfig, renderTemplate } from '../../shared/rotation/template.js';

const TOKEN = 'glpat-SECRETsecret123';

describe('renderTemplate', () => {
  const full = {
    token: TOKEN,
    username: 'gitlab+deploy-token-7',
    registry: 'registry.example.com',
  };

  it.each([
    ['a bare token', '{{token}}', TOKEN],
    ['text around the token', 'Bearer {{token}}', `Bearer ${TOKEN}`],
    ['username and token', '{{username}}:{{token}}', `gitlab+deploy-token-7:${TOKEN}`],
    ['the registry host', 'https://{{registry}}/v2/', 'https://registry.example.com/v2/'],
    ['a template without variables', 'constant', 'constant'],
    ['a variable used twice', '{{token}}{{token}}', `${TOKEN}${TOKEN}`],
  ])('renders %s', (_, template, expected) => {
    expect(renderTemplate(template, full)).toBe(expected);
  });

  it('renders {{dockerAuthConfig}} as compact Docker config JSON with base64 username:token', () => {
    const rendered = renderTemplate('{{dockerAuthConfig}}', full);
    expect(rendered).toBe(
      `{"auths":{"registry.example.com":{"auth":"${Buffer.from(`gitlab+deploy-token-7:${TOKEN}`).toString('base64')}"}}}`,
    );
    const parsed = JSON.parse(rendered) as { auths: Record<string, { auth: string }> };
    const auth = parsed.auths['registry.example.com']!.auth;
    expect(Buffer.from(auth, 'base64').toString()).toBe(`gitlab+deploy-token-7:${TOKEN}`);
    expect(dockerAuthConfig('r.test', 'u', 't')).toBe('{"auths":{"r.test":{"auth":"dTp0"}}}');
  });

  it('does not expand placeholders that appear inside the token itself', () => {
    expect(renderTemplate('{{token}}', { token: 'abc{{username}}def' })).toBe('abc{{username}}def');
  });

  it.each([
    ['{{registry}}', { token: TOKEN }, /\{\{registry\}\}.*set the registry/],
    ['{{username}}:{{token}}', { token: TOKEN }, /\{\{username\}\}.*remove \{\{username\}\}/],
    [
      '{{dockerAuthConfig}}',
      { token: TOKEN, username: 'u' },
      /\{\{dockerAuthConfig\}\} needs both a username and a registry/,
    ],
    ['{{dockerAuthConfig}}', { token: TOKEN, registry: 'r.test' }, /needs both/],
    ['{{ token }}', { token: TOKEN }, /unknown template variable \{\{ token \}\}/],
    ['{{password}}', { token: TOKEN }, /may only use \{\{token\}\}/],
  ])(
    'refuses %s when the context lacks it, naming the variable and the fix',
    (template, ctx, message) => {
      let caught: unknown;
      try {
        renderTemplate(template, ctx);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(ValidationError);
      expect((caught as Error).message).toMatch(message);
      expect((caught as Error).message).not.toContain(TOKEN);
    },
  );
});
