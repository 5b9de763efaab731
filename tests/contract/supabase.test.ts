import { describe } from "vitest";
import { postgresAvailable, supabaseBackend } from "../support/databases";
import { describeHandoffContract } from "./handoff-contract";
import { describeOperationsContract } from "./operations-contract";
import { describeOwnScopeContract } from "./own-scope-contract";
import { describeSessionContract } from "./session-contract";

// supabase-js -> PostgREST stand-in -> the suite's own PostgreSQL database.
if (postgresAvailable()) {
  describeSessionContract(supabaseBackend);
  describeOperationsContract(supabaseBackend);
  describeHandoffContract(supabaseBackend);
  describeOwnScopeContract(supabaseBackend);
} else {
  describe.skip("session contract on Supabase (needs TEST_DATABASE_URL for the PostgREST stand-in)", () => {});
}
