import { describe, expect, it } from 'vitest';
import { infraFiles, readRepoFile } from './bicep';

/** Ways a template or script could read, pass or store an account key or key-bearing connection string. */
const FORBIDDEN: ReadonlyArray<readonly [string, RegExp]> = [
  ['listKeys / listkeys', /listKeys/i],
  ['listConnectionStrings', /listConnectionStrings/i],
  ['Cosmos DB master keys', /(primary|secondary)(Readonly)?MasterKey/i],
  ['storage account keys', /AccountKey\s*=|\.keys\[|primaryKey|secondaryKey/i],
  ['shared access signatures', /SharedAccessSignature|listAccountSas|listServiceSas/i],
  ['the emulator-only Cosmos key setting', /COSMOS__key/],
  ['the emulator-only IMAGES_STORAGE connection string setting', /\bIMAGES_STORAGE\b(?!__)/],
  ['a key-based AzureWebJobsStorage connection string', /\bAzureWebJobsStorage\b(?!__)/],
  ['development storage', /UseDevelopmentStorage/i],
  ['a client secret for sign-in', /clientSecret(?!SettingName: 'OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID')/i],
  ['a token store (it needs a SAS URL)', /sasUrlSettingName/i],
];

/**
 * The connection strings allowed, none carrying a secret: Application Insights' (local auth is off, so
 * it grants nothing without an Entra token) and the Durable Task Scheduler's (an endpoint and the
 * identity to authenticate with), plus the setting that names the latter.
 */
const ALLOWED_CONNECTION_STRING_LINES = [
  /^\s*APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsights\.properties\.ConnectionString$/,
  /^\s*DURABLE_TASK_SCHEDULER_CONNECTION_STRING: 'Endpoint=\$\{durableSchedulerEndpoint\};Authentication=ManagedIdentity;ClientID=\$\{identityClientId\}'$/,
  /^\s*AzureFunctionsJobHost__extensions__durableTask__storageProvider__connectionStringName: 'DURABLE_TASK_SCHEDULER_CONNECTION_STRING'$/,
];

const checkedFiles = [...infraFiles(), 'azure.yaml'];

describe('no keys or connection strings in the deployment', () => {
  it('checks every file under infra/ and azure.yaml', () => {
    expect(checkedFiles.length).toBeGreaterThanOrEqual(15);
    expect(checkedFiles).toEqual(expect.arrayContaining(['infra/main.bicep', 'infra/hooks/postdeploy.sh']));
  });

  it.each(checkedFiles)('%s reads no key and passes no key-based connection', (file) => {
    const lines = readRepoFile(file).split('\n');
    for (const [what, pattern] of FORBIDDEN) {
      const hits = lines.filter((line) => pattern.test(line));
      expect(hits, `${what} in ${file}`).toEqual([]);
    }
    const connectionStrings = lines.filter(
      (line) =>
        /connection[_-]?string/i.test(line) &&
        !ALLOWED_CONNECTION_STRING_LINES.some((allowed) => allowed.test(line)),
    );
    expect(connectionStrings, `connection strings in ${file}`).toEqual([]);
  });

  it('turns off key-based access on every service that has it', () => {
    expect(readRepoFile('infra/app/storage.bicep')).toMatch(/^\s*allowSharedKeyAccess: false$/m);
    expect(readRepoFile('infra/app/cosmos.bicep')).toMatch(/^\s*disableLocalAuth: true$/m);
    expect(readRepoFile('infra/app/monitoring.bicep')).toMatch(/^\s*DisableLocalAuth: true$/m);
  });
});
