import { describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config/settings';
import {
  callArguments,
  member,
  members,
  objectMember,
  parameters,
  readRepoFile,
  resourceNamed,
  resourcesOfType,
  stringLiteral,
  variables,
} from './bicep';

const functionAppBicep = readRepoFile('infra/app/function-app.bicep');
const mainBicep = readRepoFile('infra/main.bicep');
const settingsSource = readRepoFile('src/config/settings.ts');

const [appSettingsResource, ...otherAppSettings] = resourcesOfType(
  functionAppBicep,
  'Microsoft.Web/sites/config',
);
const appSettings = members(objectMember(appSettingsResource?.body ?? '', 'properties'));

/** Settings the code reads that Azure must NOT set: the emulator-only key and connection-string forms. */
const EMULATOR_ONLY: Readonly<Record<string, string>> = {
  IMAGES_STORAGE: 'a storage connection string; Azure uses the IMAGES_STORAGE__* identity form',
  COSMOS__key: 'the emulator key; the Azure account has local auth disabled',
};

/** Settings the code reads that Azure may leave unset, with the reason. */
const DELIBERATELY_UNSET: Readonly<Record<string, string>> = {
  REDRIVE_DELAYS_SECONDS:
    'the built-in 5, 15, 40 minute schedule applies; an operator override, not a deployment input',
  RETIRED_SIZES:
    'empty until an operator removes a size (README "Remove a size"); not yet an infra parameter',
};

/** Names src/config/settings.ts reads from the environment (literal names and `${prefix}__suffix` reads). */
function settingNamesReadByCode(): string[] {
  // identityCredential(env, 'PREFIX') reads PREFIX__credential and PREFIX__clientId, not PREFIX itself.
  const literal = [...settingsSource.matchAll(/(?<!identityCredential)\(env,\s*'([A-Za-z0-9_]+)'/g)].map(
    (m) => m[1] ?? '',
  );
  const dotted = [...settingsSource.matchAll(/\benv\.([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1] ?? '');
  const suffixes = [...settingsSource.matchAll(/`\$\{prefix\}(__[A-Za-z]+)`/g)].map((m) => m[1] ?? '');
  const prefixes = [...settingsSource.matchAll(/identityCredential\(env,\s*'([A-Za-z0-9_]+)'\)/g)].map(
    (m) => m[1] ?? '',
  );
  const composed = prefixes.flatMap((prefix) => suffixes.map((suffix) => `${prefix}${suffix}`));
  return [...new Set([...literal, ...dotted, ...composed])].sort();
}

/**
 * The value an app setting gets in Azure for the template's defaults: literals as written, module
 * parameters through main.bicep (its variables and parameter defaults), resource endpoints as the
 * shape Azure returns them.
 */
function azureValue(key: string, expression: string): string {
  const literal = stringLiteral(expression);
  if (literal !== undefined) return literal;
  const stringified = callArguments(expression, 'string');
  if (stringified?.[0] !== undefined) return azureValue(key, stringified[0]);
  const endpoint = /^(hostStorage|imagesStorage)\.properties\.primaryEndpoints\.(blob|queue|table)$/.exec(
    expression,
  );
  if (endpoint !== null) return `https://${endpoint[1]?.toLowerCase()}.${endpoint[2]}.core.windows.net/`;
  if (expression === 'cosmos.properties.documentEndpoint')
    return 'https://cosmos-test.documents.azure.com:443/';
  if (expression === 'identityClientId') return '11111111-2222-3333-4444-555555555555';
  if (expression === 'applicationInsights.properties.ConnectionString') {
    return 'InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://example.in.applicationinsights.azure.com/';
  }
  if (/^'ClientId=\$\{identityClientId\};Authorization=AAD'$/.test(expression)) {
    return 'ClientId=11111111-2222-3333-4444-555555555555;Authorization=AAD';
  }
  if (parameters(functionAppBicep).has(expression)) return mainValue(expression);
  throw new Error(`No Azure value known for ${key}: ${expression}`);
}

/** What main.bicep passes to the function-app module for one of its parameters. */
function mainValue(parameter: string): string {
  const module =
    /module functionApp 'app\/function-app\.bicep' = \{([\s\S]*?)\n\}/.exec(mainBicep)?.[1] ?? '';
  const passed = member(objectMember(module, 'params'), parameter);
  const variable = variables(mainBicep).get(passed);
  if (variable !== undefined) return stringLiteral(variable.value) ?? variable.value;
  const param = parameters(mainBicep).get(passed);
  if (param !== undefined) return stringLiteral(param.value) ?? param.value;
  throw new Error(
    `main.bicep passes ${passed} for ${parameter}, which is neither a variable nor a parameter`,
  );
}

const azureEnv = Object.fromEntries(
  [...appSettings].map(([key, expression]) => [key, azureValue(key, expression)]),
);

describe('function app settings', () => {
  it('are declared once, in one sites/config resource', () => {
    expect(appSettingsResource).toBeDefined();
    expect(otherAppSettings).toEqual([]);
    expect(member(appSettingsResource?.body ?? '', 'name')).toBe("'appsettings'");
    expect(functionAppBicep).not.toMatch(/appSettings\s*:\s*\[/);
  });

  it('reads a sensible list of setting names from the code', () => {
    const names = settingNamesReadByCode();
    expect(names).toEqual(
      expect.arrayContaining([
        'IMAGES_STORAGE',
        'IMAGES_STORAGE__blobServiceUri',
        'IMAGES_STORAGE__credential',
        'IMAGES_STORAGE__clientId',
        'COSMOS__accountEndpoint',
        'COSMOS__credential',
        'COSMOS__clientId',
        'COSMOS__key',
        'COSMOS_DATABASE',
        'COSMOS_CONTAINER',
        'UNPROCESSED_CONTAINER',
        'PROCESSED_CONTAINER',
        'IMAGE_SIZES',
        'MAX_SOURCE_BYTES',
        'MAX_SOURCE_PIXELS',
      ]),
    );
  });

  it.each(settingNamesReadByCode())('%s is set in Azure, or deliberately not', (name) => {
    if (name in EMULATOR_ONLY) {
      expect(appSettings.has(name), `${name}: ${EMULATOR_ONLY[name]}`).toBe(false);
    } else if (name in DELIBERATELY_UNSET) {
      expect(appSettings.has(name)).toBe(false);
    } else {
      expect([...appSettings.keys()]).toContain(name);
    }
  });

  it('sets the Functions host storage by identity (DESIGN.md Azure column), on the host account', () => {
    expect(appSettings.get('AzureWebJobsStorage__blobServiceUri')).toBe(
      'hostStorage.properties.primaryEndpoints.blob',
    );
    expect(appSettings.get('AzureWebJobsStorage__queueServiceUri')).toBe(
      'hostStorage.properties.primaryEndpoints.queue',
    );
    expect(appSettings.get('AzureWebJobsStorage__tableServiceUri')).toBe(
      'hostStorage.properties.primaryEndpoints.table',
    );
    expect(appSettings.get('AzureWebJobsStorage__credential')).toBe("'managedidentity'");
    expect(appSettings.get('AzureWebJobsStorage__clientId')).toBe('identityClientId');
    expect(appSettings.get('IMAGES_STORAGE__blobServiceUri')).toBe(
      'imagesStorage.properties.primaryEndpoints.blob',
    );
  });

  it('uses the user-assigned identity for every identity-based connection and for telemetry', () => {
    const credentials = [...appSettings].filter(([key]) => key.endsWith('__credential'));
    expect(credentials.map(([key]) => key).sort()).toEqual([
      'AzureWebJobsStorage__credential',
      'COSMOS__credential',
      'IMAGES_STORAGE__credential',
    ]);
    for (const [key, value] of credentials) {
      expect(value, key).toBe("'managedidentity'");
      expect(appSettings.get(key.replace('__credential', '__clientId')), key).toBe('identityClientId');
    }
    expect(appSettings.get('APPLICATIONINSIGHTS_AUTHENTICATION_STRING')).toBe(
      "'ClientId=${identityClientId};Authorization=AAD'",
    );
    const app = resourceNamed(functionAppBicep, 'functionApp');
    expect(member(objectMember(app.body, 'identity'), 'type')).toBe("'UserAssigned'");
  });

  it('carries no key, password, SAS or storage connection string', () => {
    for (const [key, expression] of appSettings) {
      expect(key, key).not.toMatch(/key|secret|password|sas|token/i);
      expect(expression, key).not.toMatch(
        /listKeys|keys\(|AccountKey|SharedAccessSignature|MasterKey|password/i,
      );
      // The only connection string is Application Insights': it names the resource and its ingestion
      // endpoint, and with local auth disabled on the component it grants nothing without an Entra token.
      if (/connection_?string/i.test(key) || /connectionString/i.test(expression)) {
        expect(key).toBe('APPLICATIONINSIGHTS_CONNECTION_STRING');
        expect(expression).toBe('applicationInsights.properties.ConnectionString');
      }
    }
    expect(readRepoFile('infra/app/monitoring.bicep')).toMatch(/DisableLocalAuth:\s*true/);
  });

  it('leaves out what Flex Consumption configures itself (runtime and package)', () => {
    for (const managed of [
      'FUNCTIONS_WORKER_RUNTIME',
      'FUNCTIONS_EXTENSION_VERSION',
      'WEBSITE_RUN_FROM_PACKAGE',
      'WEBSITE_NODE_DEFAULT_VERSION',
      'WEBSITE_CONTENTSHARE',
      'WEBSITE_CONTENTAZUREFILECONNECTIONSTRING',
      'AzureWebJobsStorage',
    ]) {
      expect(appSettings.has(managed), managed).toBe(false);
    }
  });

  it('give the code a valid, identity-based configuration whose names match the code defaults', () => {
    const settings = loadSettings(azureEnv);
    const codeDefaults = loadSettings({
      IMAGES_STORAGE: 'UseDevelopmentStorage=true',
      COSMOS__accountEndpoint: 'https://127.0.0.1:8081',
      COSMOS__key: 'emulator',
    });
    const identity = { managedIdentity: true, clientId: '11111111-2222-3333-4444-555555555555' };
    expect(settings.images).toEqual({
      kind: 'identity',
      serviceUri: 'https://imagesstorage.blob.core.windows.net',
      accountName: 'imagesstorage',
      credential: identity,
    });
    expect(settings.cosmos).toEqual({
      endpoint: 'https://cosmos-test.documents.azure.com:443',
      auth: { kind: 'identity', credential: identity },
      database: codeDefaults.cosmos.database,
      container: codeDefaults.cosmos.container,
    });
    expect(settings.unprocessedContainer).toBe(codeDefaults.unprocessedContainer);
    expect(settings.processedContainer).toBe(codeDefaults.processedContainer);
    // The template's defaults are the code's defaults: deploying changes nothing about sizes or limits.
    expect(settings.sizes).toEqual(codeDefaults.sizes);
    expect(settings.maxSourceBytes).toBe(codeDefaults.maxSourceBytes);
    expect(settings.maxSourcePixels).toBe(codeDefaults.maxSourcePixels);
  });
});
