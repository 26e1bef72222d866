import { describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config/settings';
import {
  callArguments,
  member,
  moduleParams,
  objectMember,
  objectPath,
  parameters,
  readRepoFile,
  resourceNamed,
  resourcesOfType,
  stringLiteral,
  variableObject,
  variables,
} from './bicep';

const functionAppBicep = readRepoFile('infra/app/function-app.bicep');
const mainBicep = readRepoFile('infra/main.bicep');
/** Every module that reads app settings (loadSettings and the site settings it includes). */
const settingsSource = ['src/config/settings.ts', 'src/config/site.ts'].map(readRepoFile).join('\n');

const siteConfigs = resourcesOfType(functionAppBicep, 'Microsoft.Web/sites/config');
const appSettingsResource = siteConfigs.find((config) => member(config.body, 'name') === "'appsettings'");
/** Settings every deployment gets; the Durable Task Scheduler and sign-in add their own sets. */
const baseSettings = variableObject(functionAppBicep, 'baseSettings');
const schedulerSettings = variableObject(functionAppBicep, 'schedulerSettings');
const authSettings = variableObject(functionAppBicep, 'authSettings');
/** The template's default deployment: durableBackend 'scheduler', no sign-in app registration. */
const appSettings = new Map([...baseSettings, ...schedulerSettings]);
const allSettings = new Map([...baseSettings, ...schedulerSettings, ...authSettings]);

const IDENTITY_CLIENT_ID = '11111111-2222-3333-4444-555555555555';
const SCHEDULER_ENDPOINT = 'https://dts-test.westeurope.durabletask.io';

/** Settings the code reads that Azure must NOT set: the emulator-only key and connection-string forms. */
const EMULATOR_ONLY: Readonly<Record<string, string>> = {
  IMAGES_STORAGE: 'a storage connection string; Azure uses the IMAGES_STORAGE__* identity form',
  DERIVATIVES_STORAGE: 'a storage connection string; Azure uses the DERIVATIVES_STORAGE__* identity form',
  COSMOS__key: 'the emulator key; the Azure account has local auth disabled',
  DEV_USER_ID: 'a fixed unauthenticated user, refused unless IMAGES_STORAGE is a loopback emulator',
};

/** Settings the code reads that Azure may leave unset, with the reason. */
const DELIBERATELY_UNSET: Readonly<Record<string, string>> = {
  BACKFILL_MAX_IN_FLIGHT:
    'the code default (2 x maxConcurrentActivityFunctions) fits one instance; an operator sizes it per docs/scale.md',
  BACKFILL_PAGE_SIZE: 'the code default (500 blobs per List Blobs call) is the right size in Azure',
  BACKFILL_POLL_SECONDS: 'the code default (5 s) is the right cadence in Azure',
  DECODE_MEMORY_BUDGET_MB:
    'the code default (one HEIC decode of MAX_SOURCE_PIXELS) follows the pixel limit; an operator sizes it per docs/imaging.md (HEIC, Limits)',
  OPERATOR_ROLE: 'the default ImageOperator is the app role the README has operators create',
  SITE_ORIGINS:
    'the site is served by the app itself, whose origin comes from WEBSITE_HOSTNAME; a custom domain adds its origin here',
  WEBSITE_HOSTNAME: "App Service sets it to the app's default host name; an app setting must not override it",
};

/** Names src/config/settings.ts reads from the environment (literal names and `${prefix}__suffix` reads). */
function settingNamesReadByCode(): string[] {
  // identityCredential(env, 'PREFIX') reads PREFIX__credential and PREFIX__clientId, not PREFIX itself;
  // blobConnection(env, 'PREFIX') reads PREFIX (a connection string) and the PREFIX__* identity form.
  // `\s*` before `env` too: prettier breaks a long call's arguments onto their own lines.
  const literal = [...settingsSource.matchAll(/(?<!identityCredential)\(\s*env,\s*'([A-Za-z0-9_]+)'/g)].map(
    (m) => m[1] ?? '',
  );
  const dotted = [...settingsSource.matchAll(/\benv\.([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1] ?? '');
  /** The `${prefix}__suffix` names read in a function of settings.ts, and the literal prefixes it is called with. */
  const suffixesIn = (fn: string): string[] => {
    const body = new RegExp(`function ${fn}\\([^]*?\\n}\\n`).exec(settingsSource)?.[0] ?? '';
    return [...body.matchAll(/`\$\{prefix\}(__[A-Za-z]+)`/g)].map((m) => m[1] ?? '');
  };
  const callsOf = (fn: string): string[] =>
    [...settingsSource.matchAll(new RegExp(`${fn}\\(env,\\s*'([A-Za-z0-9_]+)'\\)`, 'g'))].map(
      (m) => m[1] ?? '',
    );
  const identitySuffixes = suffixesIn('identityCredential');
  // blobConnection reads its own suffixes and, through identityCredential(env, prefix), the identity ones.
  const blobSuffixes = [...suffixesIn('blobConnection'), ...identitySuffixes];
  const composed = [
    ...callsOf('identityCredential').flatMap((prefix) =>
      identitySuffixes.map((suffix) => `${prefix}${suffix}`),
    ),
    ...callsOf('blobConnection').flatMap((prefix) => blobSuffixes.map((suffix) => `${prefix}${suffix}`)),
  ];
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
  const endpoint =
    /^(hostStorage|imagesStorage|derivativesStorage)\.properties\.primaryEndpoints\.(blob|queue|table)$/.exec(
      expression,
    );
  if (endpoint !== null) return `https://${endpoint[1]?.toLowerCase()}.${endpoint[2]}.core.windows.net/`;
  if (expression === 'cosmos.properties.documentEndpoint')
    return 'https://cosmos-test.documents.azure.com:443/';
  if (expression === 'identityClientId') return IDENTITY_CLIENT_ID;
  if (expression === 'tenant().tenantId') return '99999999-8888-7777-6666-555555555555';
  if (expression === 'derivativeBaseUrl') return 'https://fde-test.z01.azurefd.net/images-processed';
  if (expression === 'durableTaskHubName')
    return stringLiteral(variables(mainBicep).get('durableTaskHubName')?.value ?? '') ?? '';
  if (
    expression ===
    "'Endpoint=${durableSchedulerEndpoint};Authentication=ManagedIdentity;ClientID=${identityClientId}'"
  ) {
    return `Endpoint=${SCHEDULER_ENDPOINT};Authentication=ManagedIdentity;ClientID=${IDENTITY_CLIENT_ID}`;
  }
  if (expression === 'applicationInsights.properties.ConnectionString') {
    return 'InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://example.in.applicationinsights.azure.com/';
  }
  if (/^'ClientId=\$\{identityClientId\};Authorization=AAD'$/.test(expression)) {
    return `ClientId=${IDENTITY_CLIENT_ID};Authorization=AAD`;
  }
  if (parameters(functionAppBicep).has(expression)) return mainValue(expression);
  throw new Error(`No Azure value known for ${key}: ${expression}`);
}

/** What main.bicep passes to the function-app module for one of its parameters. */
function mainValue(parameter: string): string {
  const passed = member(moduleParams(mainBicep, 'functionApp'), parameter);
  const variable = variables(mainBicep).get(passed);
  if (variable !== undefined) return stringLiteral(variable.value) ?? variable.value;
  const param = parameters(mainBicep).get(passed);
  if (param !== undefined) return stringLiteral(param.value) ?? param.value;
  throw new Error(
    `main.bicep passes ${passed} for ${parameter}, which is neither a variable nor a parameter`,
  );
}

const azureEnv = Object.fromEntries(
  [...allSettings].map(([key, expression]) => [key, azureValue(key, expression)]),
);

/** The JSON value at a host.json path given as an AzureFunctionsJobHost__a__b__c override name. */
function hostJsonValue(overrideName: string): unknown {
  const hostJson = JSON.parse(readRepoFile('host.json')) as unknown;
  return overrideName
    .replace(/^AzureFunctionsJobHost__/, '')
    .split('__')
    .reduce<unknown>((node, key) => {
      if (typeof node !== 'object' || node === null) return undefined;
      const entry = Object.entries(node).find(([name]) => name.toLowerCase() === key.toLowerCase());
      return entry?.[1];
    }, hostJson);
}

describe('function app settings', () => {
  it('are declared once, in one appsettings resource: the base set plus the scheduler and sign-in sets', () => {
    expect(appSettingsResource).toBeDefined();
    expect(siteConfigs.map((config) => member(config.body, 'name')).sort()).toEqual([
      "'appsettings'",
      "'authsettingsV2'",
    ]);
    expect(member(appSettingsResource?.body ?? '', 'properties')).toBe(
      'union(baseSettings, useScheduler ? schedulerSettings : {}, useAuth ? authSettings : {})',
    );
    expect(variables(functionAppBicep).get('useScheduler')?.value).toBe("durableBackend == 'scheduler'");
    expect(variables(functionAppBicep).get('useAuth')?.value).toBe('!empty(authClientId)');
    expect(functionAppBicep).not.toMatch(/appSettings\s*:\s*\[/);
    const sets = [baseSettings, schedulerSettings, authSettings].map((set) => [...set.keys()]);
    expect(new Set(sets.flat()).size, 'a setting in two sets').toBe(sets.flat().length);
  });

  it('reads a sensible list of setting names from the code', () => {
    const names = settingNamesReadByCode();
    expect(names).toEqual(
      expect.arrayContaining([
        'IMAGES_STORAGE',
        'IMAGES_STORAGE__blobServiceUri',
        'IMAGES_STORAGE__credential',
        'IMAGES_STORAGE__clientId',
        'DERIVATIVES_STORAGE',
        'DERIVATIVES_STORAGE__blobServiceUri',
        'DERIVATIVES_STORAGE__credential',
        'DERIVATIVES_STORAGE__clientId',
        'DERIVATIVE_BASE_URL',
        'SCRATCH_CONTAINER',
        'RETIRED_SIZES',
        'REDRIVE_DELAYS_SECONDS',
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

  it.each(settingNamesReadByCode())('%s is set in every Azure deployment, or deliberately not', (name) => {
    if (name in EMULATOR_ONLY) {
      expect(allSettings.has(name), `${name}: ${EMULATOR_ONLY[name]}`).toBe(false);
    } else if (name in DELIBERATELY_UNSET) {
      expect(allSettings.has(name)).toBe(false);
    } else {
      expect([...baseSettings.keys()]).toContain(name);
    }
  });

  it('tells the app where derivatives live and the URL a browser loads them from', () => {
    expect(baseSettings.get('DERIVATIVES_STORAGE__blobServiceUri')).toBe(
      'derivativesStorage.properties.primaryEndpoints.blob',
    );
    expect(baseSettings.get('PROCESSED_CONTAINER')).toBe('processedContainerName');
    expect(baseSettings.get('DERIVATIVE_BASE_URL')).toBe('derivativeBaseUrl');
    expect(member(moduleParams(mainBicep, 'functionApp'), 'derivativeBaseUrl')).toBe('derivativeBaseUrl');
    expect(variables(mainBicep).get('derivativeBaseUrl')?.value).toBe(
      "useFrontDoor ? delivery.outputs.baseUrl : '${derivativesStorage.outputs.blobEndpoint}${processedContainerName}'",
    );
    expect(member(moduleParams(mainBicep, 'functionApp'), 'derivativesStorageAccountName')).toBe(
      'derivativesStorage.outputs.name',
    );
  });

  it('passes the operator settings RETIRED_SIZES and REDRIVE_DELAYS_SECONDS as parameters, so azd provision keeps them', () => {
    const parametersFile = JSON.parse(readRepoFile('infra/main.parameters.json')) as {
      parameters: Record<string, { value: string }>;
    };
    for (const [setting, parameter] of [
      ['RETIRED_SIZES', 'retiredSizes'],
      ['REDRIVE_DELAYS_SECONDS', 'redriveDelaysSeconds'],
    ] as const) {
      expect(baseSettings.get(setting), setting).toBe(parameter);
      expect(member(moduleParams(mainBicep, 'functionApp'), parameter), setting).toBe(parameter);
      // Empty by default: the code's default (no retired label; the 300,900,2400 schedule) applies.
      expect(parameters(mainBicep).get(parameter)?.value, setting).toBe("''");
      expect(parametersFile.parameters[parameter]?.value, setting).toBe(`\${${setting}=}`);
      expect(azureEnv[setting], setting).toBe('');
    }
  });

  it('names the scratch container and the replaced-derivatives grace period (900 s by default)', () => {
    expect(baseSettings.get('SCRATCH_CONTAINER')).toBe('scratchContainerName');
    expect(azureEnv.SCRATCH_CONTAINER).toBe('images-scratch');
    expect(baseSettings.get('REPLACED_DERIVATIVES_GRACE_SECONDS')).toBe(
      'string(replacedDerivativesGraceSeconds)',
    );
    expect(azureEnv.REPLACED_DERIVATIVES_GRACE_SECONDS).toBe('900');
  });

  it('selects the Durable Task Scheduler by overriding host.json, whose own provider stays Azure Storage for the local host', () => {
    expect([...schedulerSettings.keys()].sort()).toEqual([
      'AzureFunctionsJobHost__extensions__durableTask__hubName',
      'AzureFunctionsJobHost__extensions__durableTask__storageProvider__connectionStringName',
      'AzureFunctionsJobHost__extensions__durableTask__storageProvider__type',
      'DURABLE_TASK_SCHEDULER_CONNECTION_STRING',
      'TASKHUB_NAME',
    ]);
    // Each override lands in host.json's durableTask section (a misspelt path would be silently ignored
    // by the host): the parent object exists, and type and hubName replace values host.json has.
    for (const name of [...schedulerSettings.keys()].filter((key) =>
      key.startsWith('AzureFunctionsJobHost__'),
    )) {
      const parent = hostJsonValue(name.replace(/__[^_]+$/, ''));
      expect(typeof parent === 'object' && parent !== null, name).toBe(true);
    }
    expect(hostJsonValue('AzureFunctionsJobHost__extensions__durableTask__hubName')).toBeDefined();
    expect(hostJsonValue('AzureFunctionsJobHost__extensions__durableTask__storageProvider__type')).toBe(
      'AzureStorage',
    );
    expect(azureEnv.AzureFunctionsJobHost__extensions__durableTask__storageProvider__type).toBe(
      'azureManaged',
    );
    expect(
      azureEnv.AzureFunctionsJobHost__extensions__durableTask__storageProvider__connectionStringName,
    ).toBe('DURABLE_TASK_SCHEDULER_CONNECTION_STRING');
    expect(azureEnv.AzureFunctionsJobHost__extensions__durableTask__hubName).toBe(azureEnv.TASKHUB_NAME);
    expect(azureEnv.TASKHUB_NAME).toBe('imagederivatives');
    // Identity only: the endpoint and the user-assigned identity's client id, no key.
    expect(schedulerSettings.get('DURABLE_TASK_SCHEDULER_CONNECTION_STRING')).toBe(
      "'Endpoint=${durableSchedulerEndpoint};Authentication=ManagedIdentity;ClientID=${identityClientId}'",
    );
    expect(member(moduleParams(mainBicep, 'functionApp'), 'durableSchedulerEndpoint')).toBe(
      "useScheduler ? durableScheduler.outputs.endpoint : ''",
    );
    expect(member(moduleParams(mainBicep, 'functionApp'), 'durableTaskHubName')).toBe('durableTaskHubName');
  });

  it('uses an extension bundle that includes the azureManaged provider (4.32.0 or later)', () => {
    const bundle = (
      JSON.parse(readRepoFile('host.json')) as { extensionBundle: { id: string; version: string } }
    ).extensionBundle;
    expect(bundle.id).toBe('Microsoft.Azure.Functions.ExtensionBundle');
    const floor = /^\[(\d+)\.(\d+)\.(\d+),\s*5\.0\.0\)$/.exec(bundle.version);
    expect(floor, bundle.version).not.toBeNull();
    const [major, minor] = [Number(floor?.[1]), Number(floor?.[2])];
    expect(major === 4 && minor >= 32, bundle.version).toBe(true);
  });

  it('signs in through the app registration with the identity as a federated credential, never a client secret', () => {
    expect([...authSettings.keys()].sort()).toEqual([
      'OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID',
      'WEBSITE_AUTH_AAD_ALLOWED_TENANTS',
    ]);
    expect(authSettings.get('OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID')).toBe('identityClientId');
    const auth = resourceNamed(functionAppBicep, 'authentication');
    expect(auth.condition).toBe('useAuth');
    const properties = objectMember(auth.body, 'properties');
    const registration = objectPath(properties, 'identityProviders', 'azureActiveDirectory', 'registration');
    expect(member(registration, 'clientId')).toBe('authClientId');
    expect(member(registration, 'clientSecretSettingName')).toBe("'OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID'");
    expect(member(registration, 'openIdIssuer')).toBe(
      "'${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'",
    );
    // The functions decide (401 without a user, 403 without ImageOperator); the Event Grid webhook and
    // the static pages must stay reachable.
    const validation = objectMember(properties, 'globalValidation');
    expect(member(validation, 'unauthenticatedClientAction')).toBe("'AllowAnonymous'");
    expect(member(objectPath(properties, 'login', 'tokenStore'), 'enabled')).toBe('false');
    expect(member(moduleParams(mainBicep, 'functionApp'), 'authClientId')).toBe('authClientId');
    expect(parameters(mainBicep).get('authClientId')?.value).toBe("''");
  });

  it('sets the Functions host storage by identity (docs/design.md, Limits and credentials), on the host account', () => {
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
    const credentials = [...allSettings].filter(([key]) => key.endsWith('__credential'));
    expect(credentials.map(([key]) => key).sort()).toEqual([
      'AzureWebJobsStorage__credential',
      'COSMOS__credential',
      'DERIVATIVES_STORAGE__credential',
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
    for (const [key, expression] of allSettings) {
      expect(key, key).not.toMatch(/key|secret|password|sas|token/i);
      expect(expression, key).not.toMatch(
        /listKeys|keys\(|AccountKey|SharedAccessSignature|MasterKey|password/i,
      );
      // Application Insights' connection string names the resource and its ingestion endpoint, and with
      // local auth disabled grants nothing without an Entra token; the scheduler's names an endpoint and
      // the identity to authenticate with (a name of it is the other setting allowed here).
      if (/connection_?string/i.test(key) || /connectionString/i.test(expression)) {
        expect([
          'APPLICATIONINSIGHTS_CONNECTION_STRING',
          'DURABLE_TASK_SCHEDULER_CONNECTION_STRING',
          'AzureFunctionsJobHost__extensions__durableTask__storageProvider__connectionStringName',
        ]).toContain(key);
      }
    }
    expect(allSettings.get('APPLICATIONINSIGHTS_CONNECTION_STRING')).toBe(
      'applicationInsights.properties.ConnectionString',
    );
    expect(azureEnv.DURABLE_TASK_SCHEDULER_CONNECTION_STRING).toMatch(
      /^Endpoint=https:\/\/[^;]+;Authentication=ManagedIdentity;ClientID=[0-9a-f-]{36}$/,
    );
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
      expect(allSettings.has(managed), managed).toBe(false);
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
    expect(settings.derivatives).toEqual({
      kind: 'identity',
      serviceUri: 'https://derivativesstorage.blob.core.windows.net',
      accountName: 'derivativesstorage',
      credential: identity,
    });
    expect(settings.site.derivativeBaseUrl).toBe('https://fde-test.z01.azurefd.net/images-processed');
    expect(settings.scratchContainer).toBe(codeDefaults.scratchContainer);
    expect(settings.retiredSizes).toEqual(codeDefaults.retiredSizes);
    expect(settings.redriveDelaysSeconds).toEqual(codeDefaults.redriveDelaysSeconds);
    expect(settings.unprocessedContainer).toBe(codeDefaults.unprocessedContainer);
    expect(settings.processedContainer).toBe(codeDefaults.processedContainer);
    // The template's defaults are the code's defaults: deploying changes nothing about sizes or limits.
    expect(settings.sizes).toEqual(codeDefaults.sizes);
    expect(settings.maxSourceBytes).toBe(codeDefaults.maxSourceBytes);
    expect(settings.maxSourcePixels).toBe(codeDefaults.maxSourcePixels);
  });
});
