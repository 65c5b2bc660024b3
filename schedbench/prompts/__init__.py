"""Prompts per family and question mode (Jinja templates under `templates/`) and answer extraction."""

from __future__ import annotations

from schedbench.prompts._answers import answer_for_mode, answer_text, reference_answer
from schedbench.prompts._extract import (
    AnswerShape,
    DuplicateKeys,
    Extraction,
    decode_keeping_duplicates,
    extract_answer,
    repeated_key,
)
from schedbench.prompts._feedback import FEEDBACK_STYLES, feedback_text
from schedbench.prompts._program import (
    FAILURE_WORDS,
    PROGRAM_FAILURES,
    build_program_messages,
    extract_program,
    offline_program,
    program_feedback_text,
    program_input,
    program_template,
    render_program_question,
)
from schedbench.prompts._render import (
    PROMPT_STYLES,
    TEMPLATES,
    PromptOptions,
    answer_model,
    answer_shape,
    build_messages,
    has_template,
    prompt_hash,
    question_modes,
    render_question,
    scenario_terms,
    system_prompt,
)
from schedbench.prompts._tools import check_text, tool_description, tools_note

__all__ = [
    "FAILURE_WORDS",
    "FEEDBACK_STYLES",
    "PROGRAM_FAILURES",
    "PROMPT_STYLES",
    "TEMPLATES",
    "AnswerShape",
    "DuplicateKeys",
    "Extraction",
    "PromptOptions",
    "answer_for_mode",
    "answer_model",
    "answer_shape",
    "answer_text",
    "build_messages",
    "build_program_messages",
    "check_text",
    "decode_keeping_duplicates",
    "extract_answer",
    "extract_program",
    "feedback_text",
    "has_template",
    "offline_program",
    "program_feedback_text",
    "program_input",
    "program_template",
    "prompt_hash",
    "question_modes",
    "reference_answer",
    "render_program_question",
    "render_question",
    "repeated_key",
    "scenario_terms",
    "system_prompt",
    "tool_description",
    "tools_note",
]
