import { join } from 'node:path';
import type { EstateConfigInput } from '../../services/estate/config';
import { startEstate, type Estate } from '../../services/runtime';

/** The secret the hooks pass on: in their environment, never in the journal. */
export const TOKEN_VAR = 'BLACKSTART_TEST_TOKEN';

/** A command hook that appends a line (with `$0` = its argument, and the token's value) to `${dir}/hooks.log`. */
const append = (line: string, arg: string) => ({
  command: { path: 'sh', args: ['-c', `echo "${line} $0 token=$TOKEN" >> "\${dir}/hooks.log"`, arg], env: { TOKEN: `\${env:${TOKEN_VAR}}` }, timeout: '5s' },
});

/**
 * An external estate with power_cut and storage_cut hooks that only write what they do to
 * `<dir>/hooks.log`; the power_cut inject also copies the journal as it is when it runs. The
 * system's services are never called (ready_path null): the estate is blackstart's proxy alone.
 */
export function externalConfig(dir: string, journal: string): EstateConfigInput {
  return {
    runtime: 'external',
    external: {
      allowed_hosts: ['127.0.0.1'],
      services: { pas: 'http://127.0.0.1:9/pas', booking: 'http://127.0.0.1:9/booking', theatre: 'http://127.0.0.1:9/theatre' },
      ready_path: null,
      vars: { dir, journal },
      hooks: {
        power_cut: {
          inject: { command: { path: 'sh', args: ['-c', 'cp "$0" "$1/journal-at-inject" && echo "inject power_cut $2" >> "$1/hooks.log"', '${journal}', '${dir}', '${site}'], timeout: '5s' } },
          rollback: append('rollback power_cut', '${site}'),
        },
        storage_cut: { inject: append('inject storage_cut', '${site}-${mode}'), rollback: append('rollback storage_cut', '${site}-${mode}') },
      },
    },
  } as EstateConfigInput;
}

export function externalEstate(dir: string, journal: string): Promise<Estate> {
  return startEstate(externalConfig(dir, journal), { stateRoot: join(dir, '.blackstart', 'estates') });
}
