'use strict';
// A TypeScript server plugin, contributed by the extension in `typescriptServerPlugins`.
// Workflows, judges and tools import the SDK as `agent-tune`; the trainer resolves that import
// itself at run time, so most workspaces never install the package and the editor would report
// ts(2307). This plugin lets such an import resolve to the declarations shipped with the
// extension. Whatever the workspace resolves on its own (an installed `agent-tune`) wins.
const fs = require('node:fs');
const path = require('node:path');

const SDK = 'agent-tune';
const DECLARATIONS = path.join('trainer', 'types', 'index.d.ts');

/**
 * The SDK's declaration entry. In the repository this package is ts-plugin/ (reached through a
 * node_modules symlink, hence the real path); in the installed extension it is
 * <ext>/node_modules/agent-tune-ts-plugin/. Either way the declarations sit in trainer/types/
 * of the folder holding it.
 */
function findDeclarations(dir = __dirname) {
  const real = fs.realpathSync(dir);
  for (const root of [path.dirname(real), path.dirname(path.dirname(real))]) {
    const file = path.join(root, DECLARATIONS);
    if (fs.existsSync(file)) return file;
  }
  return undefined;
}

function init({ typescript: ts }) {
  function create(info) {
    const log = (message) => info.project?.projectService?.logger?.info(`[agent-tune] ${message}`);
    const file = findDeclarations();
    if (!file) {
      log(`no SDK declarations found near ${__dirname}; 'agent-tune' imports resolve as usual`);
      return info.languageService;
    }
    log(`'agent-tune' imports that do not resolve otherwise resolve to ${file}`);
    const sdk = { resolvedFileName: file, extension: ts.Extension.Dts, isExternalLibraryImport: true };
    const host = info.languageServiceHost;
    const text = (literal) => (typeof literal === 'string' ? literal : literal.text);

    if (host.resolveModuleNameLiterals) {
      // TypeScript 5.0 and later.
      const resolve = host.resolveModuleNameLiterals.bind(host);
      host.resolveModuleNameLiterals = (literals, ...rest) =>
        resolve(literals, ...rest).map((result, i) =>
          text(literals[i]) === SDK && !result.resolvedModule ? { ...result, resolvedModule: sdk } : result);
    } else if (host.resolveModuleNames) {
      // TypeScript 4.x.
      const resolve = host.resolveModuleNames.bind(host);
      host.resolveModuleNames = (names, ...rest) =>
        resolve(names, ...rest).map((result, i) => (names[i] === SDK && !result ? sdk : result));
    } else {
      // A host that leaves resolution to the language service: resolve as it would, then fall back.
      const files = { fileExists: (f) => (host.fileExists ?? ts.sys.fileExists)(f), readFile: (f) => (host.readFile ?? ts.sys.readFile)(f) };
      const cache = ts.createModuleResolutionCache(host.getCurrentDirectory(), (name) => name, host.getCompilationSettings());
      host.resolveModuleNameLiterals = (literals, containingFile, redirectedReference, options, containingSourceFile) =>
        literals.map((literal) => {
          const mode = ts.getModeForUsageLocation?.(containingSourceFile, literal, options);
          const result = ts.resolveModuleName(literal.text, containingFile, options, files, cache, redirectedReference, mode);
          return literal.text === SDK && !result.resolvedModule ? { ...result, resolvedModule: sdk } : result;
        });
    }
    return info.languageService;
  }
  return { create };
}

init.findDeclarations = findDeclarations;
module.exports = init;
