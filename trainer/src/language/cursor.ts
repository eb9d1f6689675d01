// The indentation index of config text lives with validation (config/lines.ts), which uses it
// for the key paths of syntax errors; the language features read it from here.
export * from '../config/lines';
