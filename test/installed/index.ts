// Entry of the installed-VSIX suite: the same mocha runner as test/integration, over the
// compiled *.test.js files beside this one.
export { run } from '../integration/index';
