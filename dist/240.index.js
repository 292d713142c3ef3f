export const id = 240;
export const ids = [240];
export const modules = {

/***/ 92240:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   actionsArtifactUploader: () => (/* binding */ actionsArtifactUploader)
/* harmony export */ });
/* harmony import */ var _actions_artifact__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(56518);

/**
 * Uploads through the runner's artifact service (ACTIONS_RUNTIME_TOKEN, ACTIONS_RESULTS_URL).
 * Artifact names are unique per workflow run, so the caller makes the name unique per job.
 */
const actionsArtifactUploader = {
    async upload(name, files, rootDir) {
        const response = await new _actions_artifact__WEBPACK_IMPORTED_MODULE_0__/* .DefaultArtifactClient */ .t9().uploadArtifact(name, files, rootDir);
        return { ...(response.id !== undefined ? { id: response.id } : {}), ...(response.size !== undefined ? { size: response.size } : {}) };
    }
};


/***/ })

};
