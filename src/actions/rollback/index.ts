import { runAction } from "../common/runner.js";
import { main } from "./main.js";

runAction(main);
