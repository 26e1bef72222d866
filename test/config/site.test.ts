import { describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config/settings';

const local = {
  IMAGES_STORAGE: 'UseDevelopmentStorage=true',
  COSMOS__accountEndpoint: 'https://127.0.0.1:8081',
  COSMOS__key: 'emulator-key',
};
const azure = {
  IMAGES_STORAGE__blobServiceUri: 'https://stimages.blob.core.windows.net',
  IMAGES_STORAGE__credential: 'managedidentity',
  COSMOS__accountEndpoint: 'https://cosmos-images.documents.azure.com:443/',
  COSMOS__credential: 'managedidentity',
};

describe('site settings', () => {
  it('defaults: no dev user, operator role ImageOperator, derivative URLs are blob URLs, no other origins', () => {
    expect(loadSettings(azure).site).toEqual({
      devUserId: undefined,
      operatorRole: 'ImageOperator',
      derivativeBaseUrl: undefined,
      siteOrigins: [],
    });
  });

  it('SITE_ORIGINS: origins exactly as a browser sends them, https except on loopback', () => {
    expect(
      loadSettings({ ...azure, SITE_ORIGINS: 'https://photos.example.com, http://127.0.0.1:8080' }).site
        .siteOrigins,
    ).toEqual(['https://photos.example.com', 'http://127.0.0.1:8080']);
    for (const bad of [
      'https://photos.example.com/',
      'http://photos.example.com',
      'photos.example.com',
      '*',
    ]) {
      expect(() => loadSettings({ ...azure, SITE_ORIGINS: bad }), bad).toThrow(
        /for SITE_ORIGINS but received/,
      );
    }
  });

  it("WEBSITE_HOSTNAME (set by App Service) adds the app's own https origin, from configuration", () => {
    expect(
      loadSettings({
        ...azure,
        WEBSITE_HOSTNAME: 'func-img.azurewebsites.net',
        SITE_ORIGINS: 'https://photos.example.com',
      }).site.siteOrigins,
    ).toEqual(['https://func-img.azurewebsites.net', 'https://photos.example.com']);
    for (const bad of ['func img.net', 'x.net/path', 'user@x.net']) {
      expect(() => loadSettings({ ...azure, WEBSITE_HOSTNAME: bad }), bad).toThrow(
        /for WEBSITE_HOSTNAME but received/,
      );
    }
  });

  it('DEV_USER_ID works against the loopback emulator and is refused for a real account', () => {
    expect(loadSettings({ ...local, DEV_USER_ID: 'dev-user' }).site.devUserId).toBe('dev-user');
    expect(() => loadSettings({ ...azure, DEV_USER_ID: 'dev-user' })).toThrow(
      /^Expected no dev user unless IMAGES_STORAGE is a loopback emulator .* for DEV_USER_ID but received "dev-user"$/,
    );
    expect(() => loadSettings({ ...local, DEV_USER_ID: '../admin' })).toThrow(
      'Expected a user id matching [A-Za-z0-9._-]{1,64} for DEV_USER_ID but received "../admin"',
    );
  });

  it('DERIVATIVE_BASE_URL: an http(s) URL without query, trailing slashes dropped', () => {
    expect(
      loadSettings({ ...azure, DERIVATIVE_BASE_URL: 'https://img.example.net/d/' }).site.derivativeBaseUrl,
    ).toBe('https://img.example.net/d');
    expect(() => loadSettings({ ...azure, DERIVATIVE_BASE_URL: 'https://img.example.net/?sig=x' })).toThrow(
      'Expected an http(s) URL without query, fragment or user info for DERIVATIVE_BASE_URL but received "https://img.example.net/?sig=x"',
    );
    expect(() => loadSettings({ ...azure, DERIVATIVE_BASE_URL: 'cdn' })).toThrow(
      'Expected an http(s) URL for DERIVATIVE_BASE_URL but received "cdn"',
    );
  });

  it('OPERATOR_ROLE: an app role value', () => {
    expect(loadSettings({ ...azure, OPERATOR_ROLE: 'Photos.Admin' }).site.operatorRole).toBe('Photos.Admin');
    expect(() => loadSettings({ ...azure, OPERATOR_ROLE: 'two words' })).toThrow(/for OPERATOR_ROLE/);
  });
});
