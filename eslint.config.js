// ESLint with the Fastify ecosystem's own style (neostandard), TypeScript included.
import globals from 'globals'
import neostandard from 'neostandard'

export default [
  ...neostandard({ ts: true, ignores: ['dist/**', '.dist-startup-test/**', 'node_modules/**'] }),
  // `void promise` marks a promise deliberately not awaited.
  { rules: { 'no-void': ['error', { allowAsStatement: true }] } },
  // The scripts in public/ run in visitors' browsers, old phones included, and on other sites'
  // pages (embed.js): plain ES5 scripts, on purpose.
  {
    files: ['public/**/*.js'],
    languageOptions: { sourceType: 'script', globals: { ...globals.browser } },
    rules: { 'no-var': 'off' },
  },
]
