/**
 * The monitor picker, filled from the sharer's control-e2e "monitors" message; choosing one
 * sends "select_monitor".
 */

import * as payloads from "../core/payloads.js";
import { byId } from "./views.js";

export class MonitorPicker {
  /** @param {{send: (payload: object) => boolean}} options */
  constructor({ send }) {
    this.send = send;
    this.select = byId("monitor-select");
    this.select.addEventListener("change", () => {
      const id = Number(this.select.value);
      this.send(payloads.selectMonitor(id));
    });
  }

  /** Show the list (only when there is a choice to make). Names are set as text. */
  update({ monitors, current }) {
    this.select.replaceChildren(
      ...monitors.map((m, i) => {
        const option = document.createElement("option");
        option.value = String(m.id);
        const name = m.name || `Screen ${i + 1}`;
        option.textContent = `${name} (${m.width}x${m.height}${m.primary ? ", main" : ""})`;
        option.selected = m.id === current;
        return option;
      }),
    );
    byId("monitor-label").hidden = monitors.length < 2;
  }

  reset() {
    this.select.replaceChildren();
    byId("monitor-label").hidden = true;
  }
}
