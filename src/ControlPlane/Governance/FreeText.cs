using ControlPlane.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ControlPlane.Governance;

/// <summary>Reasons, comments and notes: bounded, and without control characters other than line breaks and tabs.</summary>
public static class FreeText
{
    public const int MaxLength = 2000;

    /// <summary>A 400 naming <paramref name="field"/> when the text is missing (if required), too long or holds control characters.</summary>
    public static ProblemHttpResult? Problem(string field, string? text, bool required)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return required ? Problems.BadParameter(field, $"{field} is required.") : null;
        }

        if (text.Length > MaxLength)
        {
            return Problems.BadParameter(field, $"{field} is at most {MaxLength} characters.");
        }

        return text.Any(c => char.IsControl(c) && c is not ('\n' or '\t' or '\r'))
            ? Problems.BadParameter(field, $"{field} holds a control character.")
            : null;
    }
}
