// Nbgrader > Preliminary Feedback Queue: opens the hub's grading service page (queue, waiting times,
// failures) in a new tab, as File > Hub Control Panel does. Students' servers disable this plugin
// (autograder/hub/provision.py), and the page itself admits instructors only.
const COMMAND = 'task41:open-preliminary-queue';
const NBGRADER_MENU = 'jp-mainmenu-nbgrader';  // the id nbgrader's menu plugin gives its menu
const SERVICE = 'preliminary-feedback';

function servicePage() {
  const config = JSON.parse(document.getElementById('jupyter-config-data').textContent);
  const hubRoot = (config.hubPrefix || '/hub/').replace(/hub\/$/, '');
  return `${hubRoot}services/${SERVICE}/`;
}

module.exports = {
  id: 'task41-preliminary-queue-link:menu',
  autoStart: true,
  activate: app => {
    app.commands.addCommand(COMMAND, {
      label: 'Preliminary Feedback Queue',
      caption: 'The grading service: queue, waiting times and failures of preliminary feedback',
      execute: () => window.open(servicePage(), '_blank')
    });
    // nbgrader builds its menu in code, not from settings: add the item once every plugin has run
    app.restored.then(() => {
      for (const bar of app.shell.widgets('menu')) {
        const menu = (bar.menus || []).find(candidate => candidate.id === NBGRADER_MENU);
        if (menu) {
          menu.addItem({ type: 'separator' });
          menu.addItem({ command: COMMAND });
        }
      }
    });
  }
};
