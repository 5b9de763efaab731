import { describe } from "vitest";
import { postgresAvailable, postgresBackend } from "../support/databases";
import { describeHandoffContract } from "./handoff-contract";
import { describeOperationsContract } from "./operations-contract";
import { describeOwnScopeContract } from "./own-scope-contract";
import { describeSessionContract } from "./session-contract";

if (postgresAvailable()) {
  describeSessionContract(postgresBackend);
  describeOperationsContract(postgresBackend);
  describeHandoffContract(postgresBackend);
  describeOwnScopeContract(postgresBackend);
} else {
  describe.skip("session contract on PostgreSQL (TEST_DATABASE_URL not set)", () => {});
}
