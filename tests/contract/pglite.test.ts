import { pgliteBackend } from "../support/databases";
import { describeSessionContract } from "./session-contract";

describeSessionContract(pgliteBackend);
