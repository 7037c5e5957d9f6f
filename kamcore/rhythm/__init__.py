"""The working rhythm (D9): daily log, weekly plan and summary, monthly plan and summary, reviewed by
the team lead."""
