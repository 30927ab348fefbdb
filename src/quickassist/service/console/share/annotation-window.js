/**
 * The helper's laser pointer and pen, for the person sharing from a browser: a page cannot draw
 * on the real screen, so they are drawn on a small canvas that stands for the shared screen, in
 * an always-on-top Document Picture-in-Picture window where the browser has one (opened by a
 * click: the API needs one), else in the page.
 *
 * Annotation payloads (docs/protocol.md section 5, kind 5) are in the shared picture's pixels;
 * the canvas scales them to its own size. Strokes stay until the helper clears them; the laser
 * fades when the helper lifts it.
 */

import { byId } from "../ui/views.js";

const PIP_SIZE = { width: 360, height: 230 };
const LASER_RADIUS = 6;
/** A laser left alone this long fades (the helper's pointer went still or off the picture). */
const LASER_FADE_MS = 1500;

export class AnnotationWindow {
  constructor() {
    this.box = byId("annotation-box");
    this.home = byId("annotation-home");
    this.canvas = byId("annotation-canvas");
    this.button = byId("annotation-window-button");
    this.screen = { width: 1920, height: 1080 };
    this.strokes = new Map();
    this.laser = null;
    this.laserTimer = null;
    this.pip = null;
    this.button.hidden = !("documentPictureInPicture" in globalThis);
    this.button.addEventListener("click", () => this.toggle());
  }

  /** The shared picture's size: annotation coordinates are in its pixels. */
  setScreen(width, height) {
    if (!width || !height) return;
    this.screen = { width, height };
    this.canvas.width = 640;
    this.canvas.height = Math.max(1, Math.round((640 * height) / width));
    this.draw();
  }

  /** One annotation payload from the helper. */
  apply(annotation) {
    switch (annotation.t) {
      case "stroke":
        this.strokes.set(annotation.id, annotation);
        break;
      case "laser":
        this.laser = { x: annotation.x, y: annotation.y };
        clearTimeout(this.laserTimer);
        this.laserTimer = setTimeout(() => this.apply({ t: "laser_off" }), LASER_FADE_MS);
        break;
      case "laser_off":
        this.laser = null;
        break;
      case "clear":
        this.strokes.clear();
        this.laser = null;
        break;
      default:
        return;
    }
    this.draw();
  }

  draw() {
    const ctx = this.canvas.getContext("2d");
    const sx = this.canvas.width / this.screen.width;
    const sy = this.canvas.height / this.screen.height;
    ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    ctx.strokeStyle = "#555";
    ctx.lineWidth = 2;
    ctx.strokeRect(1, 1, this.canvas.width - 2, this.canvas.height - 2);
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    for (const stroke of this.strokes.values()) {
      if (!stroke.points.length) continue;
      ctx.strokeStyle = stroke.color;
      ctx.lineWidth = Math.max(1, stroke.width * sx);
      ctx.beginPath();
      stroke.points.forEach(([x, y], i) => (i ? ctx.lineTo(x * sx, y * sy) : ctx.moveTo(x * sx, y * sy)));
      ctx.stroke();
    }
    if (this.laser) {
      ctx.fillStyle = "#ff2a2a";
      ctx.beginPath();
      ctx.arc(this.laser.x * sx, this.laser.y * sy, LASER_RADIUS, 0, 2 * Math.PI);
      ctx.fill();
    }
  }

  /** Open the always-on-top window (or close it: the canvas comes back to the page). */
  async toggle() {
    if (this.pip) {
      this.pip.close();
      return;
    }
    try {
      const pip = await globalThis.documentPictureInPicture.requestWindow(PIP_SIZE);
      const style = pip.document.createElement("link");
      style.rel = "stylesheet";
      style.href = new URL("/share/share.css", location.href).href;
      pip.document.head.append(style);
      pip.document.body.classList.add("pip");
      pip.document.title = "Your helper's pointer";
      pip.document.body.append(this.box);
      this.pip = pip;
      this.button.textContent = "Show the pointer in this page";
      pip.addEventListener("pagehide", () => this.returnHome());
    } catch (error) {
      console.warn("quickassist: no Picture-in-Picture window:", error.message);
    }
  }

  returnHome() {
    this.home.append(this.box);
    this.pip = null;
    this.button.textContent = "Show your helper's pointer on top";
  }

  close() {
    clearTimeout(this.laserTimer);
    if (this.pip) this.pip.close();
  }
}
