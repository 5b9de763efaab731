import { pgliteBackend } from "../support/databases";
import { describeOperationsContract } from "./operations-contract";
import { describeSessionContract } from "./session-contract";

describeSessionContract(pgliteBackend);
describeOperationsContract(pgliteBackend);
