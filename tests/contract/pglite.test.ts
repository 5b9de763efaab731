import { pgliteBackend } from "../support/databases";
import { describeHandoffContract } from "./handoff-contract";
import { describeOperationsContract } from "./operations-contract";
import { describeOwnScopeContract } from "./own-scope-contract";
import { describeSessionContract } from "./session-contract";

describeSessionContract(pgliteBackend);
describeOperationsContract(pgliteBackend);
describeHandoffContract(pgliteBackend);
describeOwnScopeContract(pgliteBackend);
