// Operator scripts read a local .env like the server does; real environment variables win.
import fs from "node:fs";

if (fs.existsSync(".env")) process.loadEnvFile(".env");
