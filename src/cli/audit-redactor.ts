import { Redactor } from "../audit/redact.js";
import type { CompiledPolicy } from "../validation/policy-compile.js";
import { isCredentialName, isSecretValue, urlPasswords } from "../validation/secret-names.js";

/**
 * The redactor of `serve`'s audit log: it searches for the values of the server's credential-named variables
 * and connection strings with a password, and of env.set entries of either kind. Only credentials: variables
 * Claude Code sets that hold paths and settings (CLAUDE_PROJECT_DIR, CLAUDE_CONFIG_DIR, CLAUDE_CODE_ENTRYPOINT)
 * are kept, or the project's path would read `[REDACTED]` throughout the log. Which variables panes inherit is
 * a separate, stricter rule (isSecretName in buildChildEnv). Without a policy (serve on a broken one) only the
 * server's variables are searched.
 */
export function auditRedactor(serverEnv: NodeJS.ProcessEnv, policy?: Pick<CompiledPolicy, "env">): Redactor {
  const isSecret = (name: string, value: string): boolean => isCredentialName(name) || isSecretValue(value);
  const secrets = [
    ...Object.entries(serverEnv).flatMap(([name, value]) =>
      value !== undefined && isSecret(name, value) ? [value] : [],
    ),
    // Security: a token the person fixed in env.set reaches panes; one the agent reads there and types back
    // (or passes in a command line) is redacted in the log like a server secret.
    ...Object.entries(policy?.env.set ?? {}).flatMap(([name, value]) =>
      isSecret(name, value) ? [value] : [],
    ),
  ];
  return new Redactor({
    isSecretName: isCredentialName,
    // Security: the password of a connection string, typed on its own (`--password=hunter22`), is as secret as
    // the whole URL (a reviewer's find: only the whole URL was redacted).
    secretValues: [...secrets, ...secrets.flatMap(urlPasswords)],
  });
}
