import js from "@eslint/js";
import reactHooks from "eslint-plugin-react-hooks";
import globals from "globals";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["build/**", "public/build/**", "build-bench/**", "public/build-bench/**", "node_modules/**", ".data/**", ".cache/**", "scratch/**", "test-results/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.{ts,tsx,js,mjs}"],
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    plugins: { "react-hooks": reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
      "no-console": ["error", { allow: ["warn", "error"] }],
    },
  },
  {
    // Request bodies are read only through app/lib/request-body.server.ts: bounded
    // as they stream (413), valid UTF-8, no NUL, JSON depth limited (400).
    files: ["app/**/*.{ts,tsx}"],
    ignores: ["app/lib/request-body.server.ts", "app/**/*.test.{ts,tsx}"],
    rules: {
      "no-restricted-syntax": [
        "error",
        {
          selector:
            "CallExpression[callee.type='MemberExpression'][callee.object.name=/^(request|req)$/][callee.property.name=/^(json|text|formData|arrayBuffer|blob|bytes)$/]",
          message: "Read request bodies with readJsonBody / readFormBody / readBodyText (app/lib/request-body.server.ts): they stop at a size limit.",
        },
        {
          selector: "MemberExpression[object.name=/^(request|req)$/][property.name='body']",
          message: "Read request bodies with app/lib/request-body.server.ts: it stops at a size limit.",
        },
      ],
    },
  },
  {
    // The server entry and operator scripts talk to a terminal.
    files: ["server.js", "scripts/**"],
    rules: { "no-console": "off" },
  },
);
