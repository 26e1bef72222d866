import { describe, expect, it } from 'vitest';
import { compileRoute } from '../../src/http/routeTemplate';

describe('compileRoute', () => {
  it('matches literals case-insensitively and captures named parameters', () => {
    const route = compileRoute('images/{name}/info');
    expect(route.match('Images/cat.jpg/INFO')).toEqual({ name: 'cat.jpg' });
    expect(route.match('images/cat.jpg')).toBeUndefined();
    expect(route.match('images/cat.jpg/info/extra')).toBeUndefined();
  });

  it('URL-decodes parameter values once', () => {
    expect(compileRoute('files/{name}').match('files/a%20b%2Bc')).toEqual({ name: 'a b+c' });
  });

  it('lets a trailing optional parameter be absent', () => {
    const route = compileRoute('greet/{name?}');
    expect(route.match('greet')).toEqual({});
    expect(route.match('greet/ada')).toEqual({ name: 'ada' });
    expect(route.match('greet/ada/lovelace')).toBeUndefined();
  });

  it('captures the rest of the path in a catch-all, decoding each segment', () => {
    const route = compileRoute('images/{*blobName}');
    expect(route.match('images/users/42/my%20cat.jpg')).toEqual({ blobName: 'users/42/my cat.jpg' });
    expect(route.match('images')).toEqual({});
  });

  it('applies inline constraints', () => {
    const route = compileRoute('items/{id:int}');
    expect(route.match('items/42')).toEqual({ id: '42' });
    expect(route.match('items/abc')).toBeUndefined();
    expect(compileRoute('x/{flag:bool}').match('x/TRUE')).toEqual({ flag: 'TRUE' });
  });

  it('rejects a catch-all that is not last and malformed segments', () => {
    expect(() => compileRoute('{*rest}/tail')).toThrow(
      'A catch-all parameter must be the last segment of route "{*rest}/tail"',
    );
    expect(() => compileRoute('a/{b')).toThrow('Unsupported route segment "{b" in "a/{b"');
  });
});
