/**
 * Annotation tools: a pen (colour, width) and a laser pointer drawn on the sharer's real screen,
 * and "clear" (docs/protocol.md section 5, kind 5; coordinates in monitor pixels).
 *
 * A stroke is sent while it grows (the whole point list each time, at most once per animation
 * frame) and once more with `done`; very long strokes are split so one never passes the
 * protocol's point limit. The stroke in progress is previewed locally on its own canvas; once
 * done it comes back through the video like everything else on the sharer's screen.
 */

import * as payloads from "../core/payloads.js";
import { byId } from "./views.js";

/** Split strokes well below the wire limit (10 000 points) to keep each message small. */
const MAX_POINTS_PER_STROKE = 1000;
/**
 * The sharer hides a laser dot that gets no update for 1.5 s (sharer/ui/overlay.py), so a
 * pointer held still repeats its position at this pace.
 */
const LASER_KEEPALIVE_MS = 1000;

export class Annotator {
  /**
   * @param {{send: (payload: object) => void, allowed: () => boolean, canvas: HTMLCanvasElement,
   *          screen: HTMLCanvasElement, element: HTMLElement, viewer: HTMLElement}} options
   */
  constructor({ send, allowed, canvas, screen, element, viewer }) {
    this.send = send;
    this.allowed = allowed;
    this.canvas = canvas;
    this.screen = screen;
    this.element = element;
    this.viewer = viewer;
    this.tool = "none";
    this.stroke = null;
    this.laserPending = null;
    this.laserLast = null;
    this.laserTimer = null;
    this.frameScheduled = false;
    this.counter = 0;

    element.addEventListener("pointerdown", (e) => this.onDown(e));
    element.addEventListener("pointermove", (e) => this.onMove(e));
    element.addEventListener("pointerup", (e) => this.onUp(e));
    element.addEventListener("pointercancel", (e) => this.onUp(e));
    element.addEventListener("pointerleave", () => this.laserOff());

    byId("tool-pen").addEventListener("click", () => this.toggle("pen"));
    byId("tool-laser").addEventListener("click", () => this.toggle("laser"));
    byId("annotation-clear").addEventListener("click", () => this.clear());
  }

  get active() {
    return this.tool !== "none";
  }

  /** Pick `tool`, or put it away if it is the one in hand. */
  toggle(tool) {
    this.setTool(this.tool === tool ? "none" : tool);
  }

  setTool(tool) {
    if (this.tool === "laser" && tool !== "laser") this.laserOff();
    this.finishStroke();
    this.tool = tool;
    byId("tool-pen").setAttribute("aria-pressed", String(tool === "pen"));
    byId("tool-laser").setAttribute("aria-pressed", String(tool === "laser"));
    this.viewer.classList.toggle("tool-pen", tool === "pen");
    this.viewer.classList.toggle("tool-laser", tool === "laser");
  }

  clear() {
    this.finishStroke();
    this.preview();
    if (this.allowed()) this.send(payloads.clearAnnotations());
  }

  /** Monitor pixels under the pointer, to one decimal (strokes may use fractions). */
  remote(e) {
    const rect = this.screen.getBoundingClientRect();
    const sx = rect.width > 0 ? this.screen.width / rect.width : 1;
    const sy = rect.height > 0 ? this.screen.height / rect.height : 1;
    const round = (v) => Math.round(v * 10) / 10;
    return [round((e.clientX - rect.left) * sx), round((e.clientY - rect.top) * sy)];
  }

  onDown(e) {
    // Before the first picture the canvas is not the monitor's size: nothing to draw on yet.
    if (!this.active || !this.allowed() || e.button !== 0 || this.screen.width <= 1) return;
    e.preventDefault();
    this.element.setPointerCapture?.(e.pointerId);
    if (this.tool === "pen") {
      this.counter += 1;
      this.stroke = {
        id: `s${Date.now().toString(36)}${this.counter}`,
        color: byId("pen-color").value.toLowerCase(),
        width: Number(byId("pen-width").value),
        points: [this.remote(e)],
      };
      this.schedule();
    } else {
      this.laserPending = this.remote(e);
      this.schedule();
    }
  }

  onMove(e) {
    if (!this.active || !this.allowed()) return;
    if (this.tool === "pen" && this.stroke) {
      this.stroke.points.push(this.remote(e));
      if (this.stroke.points.length >= MAX_POINTS_PER_STROKE) this.splitStroke();
      this.schedule();
    } else if (this.tool === "laser") {
      this.laserPending = this.remote(e);
      this.schedule();
    }
  }

  onUp() {
    if (this.tool === "pen") this.finishStroke();
  }

  splitStroke() {
    const last = this.stroke.points.at(-1);
    this.finishStroke();
    this.counter += 1;
    this.stroke = { ...this.lastStroke, id: `s${Date.now().toString(36)}${this.counter}`, points: [last] };
  }

  finishStroke() {
    if (!this.stroke) return;
    const s = this.stroke;
    this.stroke = null;
    this.lastStroke = s;
    if (this.allowed()) this.send(payloads.stroke(s.id, s.color, s.width, s.points, true));
    this.preview();
  }

  laserOff() {
    this.laserPending = null;
    this.laserLast = null;
    clearInterval(this.laserTimer);
    this.laserTimer = null;
    if (this.tool === "laser" && this.allowed()) this.send(payloads.laserOff());
  }

  /** Send the laser position now, and keep repeating it while the pointer rests. */
  sendLaser(point) {
    this.send(payloads.laser(...point));
    this.laserLast = point;
    if (this.laserTimer === null) {
      this.laserTimer = setInterval(() => {
        if (this.tool === "laser" && this.laserLast && this.allowed()) {
          this.send(payloads.laser(...this.laserLast));
        }
      }, LASER_KEEPALIVE_MS);
    }
  }

  /** At most one annotation message per animation frame, however fast the pointer moves. */
  schedule() {
    if (this.frameScheduled) return;
    this.frameScheduled = true;
    requestAnimationFrame(() => {
      this.frameScheduled = false;
      if (!this.allowed()) return;
      if (this.stroke) {
        const s = this.stroke;
        this.send(payloads.stroke(s.id, s.color, s.width, s.points, false));
        this.preview();
      }
      if (this.laserPending) {
        this.sendLaser(this.laserPending);
        this.laserPending = null;
      }
    });
  }

  /** Draw the stroke in progress on the local preview canvas (cleared when it is done). */
  preview() {
    const ctx = this.canvas.getContext("2d");
    ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    const s = this.stroke;
    if (!s || s.points.length === 0) return;
    ctx.strokeStyle = s.color;
    ctx.lineWidth = s.width;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.beginPath();
    ctx.moveTo(...s.points[0]);
    for (const p of s.points.slice(1)) ctx.lineTo(...p);
    if (s.points.length === 1) ctx.lineTo(s.points[0][0] + 0.1, s.points[0][1]);
    ctx.stroke();
  }
}
