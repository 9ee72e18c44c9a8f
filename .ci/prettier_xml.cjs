// Prettier with its XML plugin, for pre-commit's node hook: both packages are
// installed in the hook's own environment (npm's global root there), where
// prettier 3 cannot find a plugin named in .prettierrc.yml.
const {execSync} = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

const root = execSync("npm root -g").toString().trim();
const prettier = require(path.join(root, "prettier"));
const xml = require(path.join(root, "@prettier/plugin-xml"));

(async () => {
    let changed = 0;
    for (const file of process.argv.slice(2)) {
        const text = fs.readFileSync(file, "utf8");
        const options = (await prettier.resolveConfig(file)) || {};
        delete options.plugins;
        const formatted = await prettier.format(text, {
            ...options,
            filepath: file,
            plugins: [xml.default || xml],
        });
        if (formatted !== text) {
            fs.writeFileSync(file, formatted);
            console.log(`formatted ${file}`);
            changed++;
        }
    }
    process.exit(changed ? 1 : 0);
})();
