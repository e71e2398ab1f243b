/** Entry point of the bundle: one Session for the page, the App into #root. */
import { render } from 'preact';
import { App } from './App.js';
import { Session } from './session.js';
import './styles.css';

const root = document.getElementById('root');
if (root) render(<App session={new Session()} />, root);
